"""Plugin contracts: a core-only plugin trains, registration is checked, the docs page is generated."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.config import build_config
from esrgan_core.context import run_config
from esrgan_core.contracts import LOSS_INPUTS, REQUIRED
from esrgan_core.contracts_doc import splice
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.errors import ModelFileError, PluginError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.images import from_tensor01, read_rgb01, to_tensor01, write_image
from esrgan_core.modelfiles.writers import save_pth
from esrgan_core.plugins import load_plugins
from esrgan_core.seeding import make_generator, seeded_global
from esrgan_core.training.loss_inputs import PROVIDERS
from esrgan_core.training.metrics_log import read_metrics
from esrgan_core.training.run import run_training
from tests import core_only_plugin
from tests.core_only_plugin.components import TinyNet, TinyNetParams
from tests.train_support import context, make_loop, tiny_config

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


def _random_tiny_net(seed: int, num_feat: int = 4) -> TinyNet:
    torch.manual_seed(seed)
    net = TinyNet(TinyNetParams(scale=4, num_feat=num_feat))
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.1)
    return net


def test_the_core_only_trainer_starts_from_a_pretrained_file_written_by_the_core_writer(tmp_path: Path, example_plugin) -> None:
    plain, ema = _random_tiny_net(1).state_dict(), _random_tiny_net(2).state_dict()
    save_pth(tmp_path / "pretrained.pth", plain, params_ema=ema)  # BasicSR layout: {'params', 'params_ema'}
    data = _core_only_config(tmp_path)
    data["stages"][0]["pretrain_network_g"] = str(tmp_path / "pretrained.pth")
    trainer = make_loop(context(data, extra_plugins=(("core_only", core_only_plugin), ("example", example_plugin))), 0).trainer
    nets = trainer.networks()
    for name, tensor in nets.generator.state_dict().items():
        assert torch.equal(tensor.cpu(), ema[name]) and not torch.equal(tensor.cpu(), plain[name])  # params_ema by default
        assert torch.equal(nets.ema.state_dict()[name].cpu(), ema[name])
    assert trainer.load_reports == [f"network_g: loaded 4/4 tensors from {tmp_path / 'pretrained.pth'}"]

    save_pth(tmp_path / "wide.pth", _random_tiny_net(3, num_feat=8).state_dict())
    data["stages"][0]["pretrain_network_g"] = str(tmp_path / "wide.pth")
    with pytest.raises(ModelFileError, match="does not fit the network") as info:
        make_loop(context(data, extra_plugins=(("core_only", core_only_plugin), ("example", example_plugin))), 0)
    assert "wide.pth" in str(info.value)


def test_the_core_only_task_degrades_an_image_as_the_core_pipeline_does_for_its_seed(tmp_path: Path) -> None:
    write_image(tmp_path / "hr.png", skimage.data.coffee()[100:148, 200:252] / 255.0)
    stages = [{"type": "blur", "kernel_size": [3, 7], "kernel_list": ["iso"], "kernel_prob": [1.0], "sigma": [0.2, 1.5],
               "sinc_prob": 0}, {"type": "resize", "to": "lr", "prob": [0, 0, 1]},
              {"type": "salt", "amount": 0.1}, {"type": "noise", "gaussian_prob": 1.0, "sigma": [1, 3], "gray_prob": 0.0}]
    data = {"task": "degrade_image", "image": str(tmp_path / "hr.png"), "recipe": stages, "scale": 4, "seed": 3,
            "output": str(tmp_path / "out" / "lr.png")}
    cfg, host = build_config(data, host_factory=lambda mods: load_plugins(mods, extra_plugins=[("core_only", core_only_plugin)]))
    assert run_config(cfg, host) == 0
    got = np.round(read_rgb01(tmp_path / "out" / "lr.png") * 255)
    pipeline = Pipeline.from_dicts(stages, host.registries)
    gt = to_tensor01(read_rgb01(tmp_path / "hr.png"))
    want = np.round(from_tensor01(pipeline(gt, make_generator(3, 0), 4).lq) * 255)  # 48x52: a multiple of 4 already
    other = np.round(from_tensor01(pipeline(gt, make_generator(4, 0), 4).lq) * 255)
    assert got.shape == (12, 13, 3) and np.array_equal(got, want) and not np.array_equal(got, other)
    white = (got >= 250).all(axis=2).mean()  # the plugin's salt stage ran (10 % of the pixels, noise added after)
    assert 0.03 < white < 0.25


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
