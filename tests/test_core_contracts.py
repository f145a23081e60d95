"""Plugin contracts: a core-only plugin trains, registration is checked, the docs page is generated."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
import pytest
import torch

from esrgan_core.contracts import LOSS_INPUTS, REQUIRED
from esrgan_core.contracts_doc import splice
from esrgan_core.errors import PluginError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.plugins import load_plugins
from esrgan_core.seeding import seeded_global
from esrgan_core.training.loss_inputs import PROVIDERS
from esrgan_core.training.metrics_log import read_metrics
from esrgan_core.training.run import run_training
from tests import core_only_plugin
from tests.train_support import context, tiny_config

REPO = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_only_plugin_and_examples_import_nothing_from_esrgan_plugins() -> None:
    files = [*(REPO / "tests" / "core_only_plugin").glob("*.py"), *(REPO / "examples").rglob("*.py")]
    assert len(files) >= 5
    offenders = {str(f.relative_to(REPO)): sorted(m for m in _imports(f) if m.split(".")[0] == "esrgan_plugins")
                 for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}
    assert any("esrgan_core" in m for f in files for m in _imports(f))


def _core_only_config(root: Path) -> dict:
    data = tiny_config(root, stages="esrnet", queue_size=0)
    data["degradation"] = [{"type": "resize", "to": "lr", "prob": [0, 0, 1]}, {"type": "salt", "amount": 0.02},
                           {"type": "color_cast", "prob": 1.0, "strength": [0.01, 0.02]}]  # the example plugin's stage
    data["stages"] = [{"type": "tiny_trainer", "name": "tiny", "total_iter": 3, "network_g": {"type": "tiny_net", "scale": 4},
                       "losses": [{"type": "tiny_l1"}, {"type": "total_variation", "weight": 0.01}]}]  # + the example's loss
    data["datasets"]["val"] = {"dataset": {"type": "skimage_photos", "only": ["coffee"], "patch_size": 32}}
    data["val"] = {"val_freq": 3, "metrics": [{"type": "mean_abs"}]}
    return data


def test_core_only_plugin_and_the_example_plugin_train_a_run(tmp_path: Path, example_plugin) -> None:
    """A stage, a loss, a network, a metric and a trainer of the core-only plugin, with the example
    plugin's stage and loss, through the real train task."""
    ctx = context(_core_only_config(tmp_path), extra_plugins=(("core_only", core_only_plugin), ("example", example_plugin)))
    assert run_training(ctx.config.params, ctx) == 0
    stage = tmp_path / "tiny" / "tiny"
    records = read_metrics(stage / "logs" / "metrics.jsonl")
    train = [r for r in records if r["kind"] == "train"]
    assert [r["iter"] for r in train] == [1, 2, 3] and all(r["l_tiny"] > 0 and r["l_g_tv"] > 0 for r in train)
    (val,) = [r for r in records if r["kind"] == "val"]
    assert val["iter"] == 3 and val["mean_abs"] > 0
    ckpt = torch.load(stage / "models" / "net_g_latest.pth", weights_only=True)
    assert set(ckpt) == {"params", "params_ema"} and "conv1.weight" in ckpt["params"]
    assert (stage / "models" / "net_g_ema_latest.safetensors").is_file() and (stage / "DONE").is_file()


def _plugin(kind: str, factory: object, params: object = None) -> object:
    class Plugin:
        pass

    def hook(register):
        register("bad_thing", factory, params=params)

    hook.__name__ = f"register_{kind}"
    setattr(Plugin, f"register_{kind}", staticmethod(hookimpl(hook)))
    return Plugin


class NotAttrs:
    weight: float = 1.0


def test_register_rejects_a_non_attrs_params_class_naming_the_plugin() -> None:
    with pytest.raises(PluginError) as info:
        load_plugins(extra_plugins=[("my_plugin", _plugin("losses", lambda p: None, NotAttrs))])
    assert info.value.plugin == "my_plugin" and "attrs class" in str(info.value) and "bad_thing" in str(info.value)


def test_register_rejects_a_non_callable_factory_and_a_class_missing_contract_attributes() -> None:
    with pytest.raises(PluginError, match="factory must be callable") as info:
        load_plugins(extra_plugins=[("p1", _plugin("metrics", 42))])
    assert info.value.plugin == "p1"

    class LossWithoutInputs(torch.nn.Module):
        adversarial = False

    with pytest.raises(PluginError, match="lacks inputs") as info:
        load_plugins(extra_plugins=[("p2", _plugin("losses", LossWithoutInputs))])
    assert info.value.plugin == "p2" and "esrgan_core.contracts.Loss" in str(info.value)
    assert REQUIRED["losses"] == ("inputs", "adversarial")


def test_a_built_loss_without_weight_is_a_plugin_error_when_a_run_builds_it(tmp_path: Path) -> None:
    @attrs.frozen
    class P:
        pass

    class NoWeight(torch.nn.Module):
        inputs, adversarial = ("sr",), False

        def __init__(self, params: P) -> None:
            super().__init__()

    data = tiny_config(tmp_path, stages="esrnet")
    data["stages"][0]["train"]["losses"] = [{"type": "bad_thing"}]
    ctx = context(data, extra_plugins=(("p3", _plugin("losses", NoWeight, P)),))
    with pytest.raises(PluginError, match="without weight") as info:
        run_training(ctx.config.params, ctx)
    assert info.value.plugin == "p3"


def test_every_documented_loss_input_has_one_provider() -> None:
    assert set(PROVIDERS) == set(LOSS_INPUTS)


def test_write_a_plugin_page_holds_the_generated_contracts() -> None:
    page = (REPO / "docs" / "write-a-plugin.md").read_text(encoding="utf-8")
    assert splice(page) == page, "regenerate with: python -m esrgan_core.contracts_doc docs/write-a-plugin.md"
    for name in ("DegradationStage", "Loss", "Network", "Metric", "Dataset", "Trainer", "Task", "StageContext"):
        assert name in page


def test_network_init_under_a_seed_repeats_and_leaves_the_global_rng_alone() -> None:
    before = torch.random.get_rng_state()
    with seeded_global(7, 0, 1):
        a = torch.nn.Conv2d(3, 3, 3).weight.detach().clone()
    assert torch.equal(torch.random.get_rng_state(), before)
    with seeded_global(7, 0, 1):
        b = torch.nn.Conv2d(3, 3, 3).weight.detach().clone()
    with seeded_global(7, 0, 2):
        c = torch.nn.Conv2d(3, 3, 3).weight.detach().clone()
    assert torch.equal(a, b) and not torch.equal(a, c)
