"""Every spandrel architecture trains (ESRNet + ESRGAN step), saves, and reopens in spandrel and our loader.

Tiny settings are each architecture's documented ``tiny`` entry (``esrgan_plugins.archs.table``); all
train at x2 on 16 px LR patches (Real-CUGAN: 32 px, its minimum).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import spandrel
import torch

from esrgan_core.modelfiles.loader import load_model
from esrgan_core.plugins import load_plugins
from esrgan_plugins.archs.factory import SpandrelArch, params_from_hyperparameters
from esrgan_plugins.archs.table import ARCHS, BY_NAME, resolve
from tests.train_support import batches, context, make_loop, tiny_config

TRAINING_ONLY = {"drop_path_rate", "checkpointing", "dropout", "img_size"}  # not recorded in the weights
SCALE = 2
# The one RRDBNet and the one Compact (networks plugin), under their canonical names and their aliases:
# name -> (tiny options, spandrel architecture id, canonical name)
ONE_NETWORK = {"rrdbnet": ({"num_feat": 8, "num_block": 1}, "ESRGAN", "rrdbnet"),
               "esrgan": ({"num_filters": 8, "num_blocks": 1}, "ESRGAN", "rrdbnet"),
               "srvgg_compact": ({"num_feat": 8, "num_conv": 2}, "Compact", "srvgg_compact"),
               "compact": ({"num_feat": 8, "num_conv": 2}, "Compact", "srvgg_compact")}


def arch_config(tmp_path: Path, name: str, **overrides: Any) -> dict[str, Any]:
    tiny = ONE_NETWORK[name][0] if name in ONE_NETWORK else BY_NAME[name].tiny
    lr = 32 if name == "realcugan" else 16
    scale_key = "upscale" if name == "srvgg_compact" else "scale"
    net = {"type": name, scale_key: SCALE, **{k: list(v) if isinstance(v, tuple) else v for k, v in tiny.items()}, **overrides}
    data = tiny_config(tmp_path, scale=SCALE, gt_size=lr * SCALE, queue_size=0)
    data["datasets"]["train"]["dataset"]["patch_size"] = lr * SCALE + 16
    data["datasets"]["train"]["batch_size_per_gpu"] = 2  # DAT batch-norms a pooled 1x1 map
    for stage in data["stages"]:
        stage["network_g"] = dict(net)
    data["stages"][1]["network_d"] = {"type": "unet_discriminator_sn", "num_feat": 4}
    return data


def _step_with_gradient_record(loop: Any, batch: Any, *modules: torch.nn.Module) -> list[str]:
    """Run one training step; return the trainable parameters of ``modules`` that received no gradient."""
    seen: set[str] = set()
    handles, names = [], []
    for i, module in enumerate(modules):
        for name, p in module.named_parameters():
            if p.requires_grad:
                names.append(f"{i}.{name}")
                handles.append(p.register_hook(lambda g, key=f"{i}.{name}": seen.add(key)))
    try:
        loop.step(batch)
    finally:
        for h in handles:
            h.remove()
    return [n for n in names if n not in seen]


def _outputs_equal(a: torch.nn.Module, b: torch.nn.Module, size: int) -> float:
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return float((a.eval()(x) - b.eval()(x)).abs().max())


def _train_both_stages_and_save(tmp_path: Path, name: str):
    """One ESRNet and one ESRGAN step of ``name`` (every parameter of G and D gets a gradient), then the
    ESRGAN stage's checkpoint "1": returns the context, the ESRGAN networks and the .pth/.safetensors files."""
    torch.manual_seed(0)
    ctx = context(arch_config(tmp_path, name))
    esrnet = make_loop(ctx, 0)
    batch = next(batches(esrnet))
    assert _step_with_gradient_record(esrnet, batch, esrnet.networks().generator) == []
    esrgan = make_loop(ctx, 1, previous_ema=esrnet.networks().ema.state_dict())
    nets = esrgan.networks()
    assert _step_with_gradient_record(esrgan, batch, nets.generator, nets.discriminator) == []
    esrgan.checkpoints.save("1", notify=False)
    pth, safetensors = esrgan.layout.net_g("1"), esrgan.layout.net_g_ema("1")
    return ctx, nets, pth, safetensors


@pytest.mark.parametrize("name", [s.name for s in ARCHS])
def test_arch_trains_both_stages_and_saved_file_reopens_in_spandrel_and_our_loader(tmp_path: Path, name: str) -> None:
    spec = BY_NAME[name]
    ctx, nets, pth, safetensors = _train_both_stages_and_save(tmp_path, name)
    ema = nets.ema
    size = 40 if name == "realcugan" else 20

    found = spandrel.ModelLoader().load_from_file(str(pth))
    assert found.architecture.id == spec.spandrel_id and found.scale == SCALE
    assert _outputs_equal(ema, found.model, size) <= 1e-5
    ours = ctx.config.params.stages[1].params.network_g.params
    theirs = params_from_hyperparameters(spec, found)
    assert ({k: v for k, v in resolve(spec, theirs).items() if k not in TRAINING_ONLY}
            == {k: v for k, v in resolve(spec, ours).items() if k not in TRAINING_ONLY})
    for file in (pth, safetensors):
        loaded = load_model(file, registries=ctx.registries)
        assert loaded.description.scale == SCALE
        assert _outputs_equal(ema, loaded.network, size) <= 1e-5


@pytest.mark.parametrize("name", list(ONE_NETWORK))
def test_rrdbnet_and_compact_train_under_every_name_and_saved_files_reopen_as_one_network(tmp_path: Path, name: str) -> None:
    """Canonical name or alias: spandrel opens the file as its ESRGAN / Compact with the same output, a
    bare .pth is detected as the canonical name and the .safetensors records it (one description)."""
    _, spandrel_id, canonical = ONE_NETWORK[name]
    ctx, nets, pth, safetensors = _train_both_stages_and_save(tmp_path, name)
    found = spandrel.ModelLoader().load_from_file(str(pth))
    assert found.architecture.id == spandrel_id and found.scale == SCALE
    assert _outputs_equal(nets.ema, found.model, 20) <= 1e-5
    for file in (pth, safetensors):
        loaded = load_model(file, registries=ctx.registries)
        assert (loaded.description.architecture, loaded.description.scale) == (canonical, SCALE)
        assert type(loaded.network) is type(nets.ema)
        assert _outputs_equal(nets.ema, loaded.network, 20) <= 1e-5


@pytest.mark.parametrize(("name", "scale"), [(n, x) for n in ONE_NETWORK for x in (1, 2, 4)])
def test_rrdbnet_and_compact_descriptions_match_spandrels_descriptor(name: str, scale: int) -> None:
    entry = load_plugins().registries["networks"].get(name)
    tiny, spandrel_id, _ = ONE_NETWORK[name]
    params = entry.params(**{"upscale" if name == "srvgg_compact" else "scale": scale}, **tiny)
    d = spandrel.ModelLoader().load_from_state_dict(entry.factory(params).state_dict())
    assert d.architecture.id == spandrel_id
    facts = entry.factory.describe(params)
    multiple = facts.pop("size_multiple")  # ours is exact (the unshuffle factor); spandrel says 4 for both x2 and x1
    assert d.size_requirements.multiple_of % multiple == 0
    assert facts == {"scale": d.scale, "in_channels": d.input_channels, "out_channels": d.output_channels,
                     "supports_half": d.supports_half, "supports_bfloat16": d.supports_bfloat16}


def test_span_saved_eval_conv_is_the_fold_of_the_trained_branches() -> None:
    spec = BY_NAME["span"]
    net = SpandrelArch(spec)(spec.params(scale=2, **spec.tiny)).train()
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad:
                p.add_(0.01)  # what an optimizer step does: eval_conv is now stale until refolded
    saved = net.state_dict()["conv_1.eval_conv.weight"].clone()
    net.conv_1.update_params()
    assert torch.equal(saved, net.conv_1.eval_conv.weight)
    assert not net.conv_1.eval_conv.weight.requires_grad


@pytest.mark.parametrize(("name", "scale"), [(s.name, x) for s in ARCHS for x in (1, 2, 4) if x in s.params.SCALES])
def test_description_matches_spandrels_descriptor(name: str, scale: int) -> None:
    """scale, channels, size multiple and fp16/bf16 support, read off the options, equal spandrel's."""
    spec = BY_NAME[name]
    factory = SpandrelArch(spec)
    for overrides in ({}, {"layer_norm": False}) if name == "realplksr" else ({},):
        params = spec.params(scale=scale, **spec.tiny, **overrides)
        d = factory.descriptor(params)
        assert factory.describe(params) == {
            "scale": d.scale, "in_channels": d.input_channels, "out_channels": d.output_channels,
            "size_multiple": d.size_requirements.multiple_of, "supports_half": d.supports_half,
            "supports_bfloat16": d.supports_bfloat16}


def test_presets_fill_unset_fields_and_explicit_fields_win() -> None:
    spec = BY_NAME["span"]
    assert resolve(spec, spec.params(preset="s"))["feature_channels"] == 32
    assert resolve(spec, spec.params(preset="s", feature_channels=40))["feature_channels"] == 40
    dat = BY_NAME["dat"]
    light = resolve(dat, dat.params(preset="light"))
    assert light["embed_dim"] == 60 and light["upsampler"] == "pixelshuffledirect"


def test_upscale_command_runs_a_saved_architecture_file(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from esrgan_core.cli import main
    from esrgan_core.modelfiles.writers import save_pth

    spec = BY_NAME["safmn"]  # needs inputs padded to a multiple of 8: the upscaler must honour it
    torch.manual_seed(0)
    net = SpandrelArch(spec)(spec.params(scale=SCALE, **spec.tiny)).eval()
    save_pth(tmp_path / "safmn.pth", net.state_dict(), params_ema=net.state_dict())
    bgr = (np.random.default_rng(0).random((13, 11, 3)) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "in.png"), bgr)
    assert main(["upscale", "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "-m", str(tmp_path / "safmn.pth"),
                 "--no-progress"]) == 0
    out = cv2.imread(str(tmp_path / "out.png"))
    assert out.shape == (26, 22, 3)


def test_plugins_command_shows_each_architecture_licence(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from esrgan_core.cli import main

    assert main(["plugins", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["archs"]["licences"] == {s.name: s.licence for s in ARCHS}
    assert rows["networks"]["licences"] == {"rrdbnet": "Apache-2.0", "esrgan": "Apache-2.0",
                                            "srvgg_compact": "BSD-3-Clause", "compact": "BSD-3-Clause"}


def test_architecture_benchmark_quick_mode_writes_sizes_and_ratios_to_rrdbnet(tmp_path: Path) -> None:
    import importlib.util
    import json

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "architectures.py"
    module_spec = importlib.util.spec_from_file_location("bench_architectures", path)
    bench = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(bench)
    out = tmp_path / "arch.json"
    assert bench.main(["--quick", "--only", "span", "--threads", "1", "--max-load", "1", "--output", str(out)]) == 0
    rows = {r["name"]: r for r in json.loads(out.read_text())["results"]}
    assert set(rows) == {"rrdbnet", "span"}
    spec = BY_NAME["span"]
    net = SpandrelArch(spec)(spec.params(scale=4, **spec.tiny))
    assert rows["span"]["params"] == sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert rows["rrdbnet"]["vs_rrdbnet"]["params"] == 1.0
    assert rows["span"]["vs_rrdbnet"]["params"] == rows["span"]["params"] / rows["rrdbnet"]["params"]
    assert rows["span"]["macs_per_pixel"] > 0 and rows["span"]["inference_mp_per_s"] > 0


@pytest.mark.slow
def test_span_two_stage_template_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """configs/span_x4.yml on the bundled photos, shrunk to a few iterations (no VGG weights offline: no perceptual)."""
    from esrgan_core.cli import main

    cfg = Path(__file__).resolve().parents[1] / "configs" / "span_x4.yml"
    monkeypatch.chdir(tmp_path)
    sets = {
        "experiments_root": str(tmp_path), "gt_size": 32, "queue_size": 0,
        "datasets.train": "{dataset: {type: skimage_photos, only: [chelsea, coffee], patch_size: 48}, batch_size_per_gpu: 2}",
        "stages[0].network_g": "{type: span, preset: s, feature_channels: 8, scale: 4}",
        "stages[1].network_g": "{type: span, preset: s, feature_channels: 8, scale: 4}",
        "stages[1].network_d": "{type: patchgan_sn, num_feat: 8, n_layers: 2}",
        "stages[0].train.total_iter": 3, "stages[1].train.total_iter": 2,
        "stages[1].train.losses": "[{type: l1, target: gt_usm}, {type: gan, weight: 0.1}]",
    }
    args = [str(cfg)] + [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    assert main(args) == 0
    run = tmp_path / "span_x4"
    for stage in ("esrnet", "esrgan"):
        assert (run / stage / "DONE").exists()
    found = spandrel.ModelLoader().load_from_file(str(run / "esrgan" / "models" / "net_g_latest.pth"))
    assert found.architecture.id == "SPAN" and found.scale == 4


@pytest.mark.parametrize("name", ["dat", "swinir", "hat"])
def test_gradient_checkpointing_gives_the_same_gradients(name: str) -> None:
    spec = BY_NAME[name]
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    grads = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        net = SpandrelArch(spec)(spec.params(scale=SCALE, drop_path_rate=0.0, checkpointing=checkpointing, **spec.tiny)).train()
        block = next(m for n, m in net.named_modules() if n.endswith("blocks.0"))
        calls: list[int] = []
        block.register_forward_pre_hook(lambda *_, calls=calls: calls.append(1))
        net(x).square().mean().backward()
        assert len(calls) == (2 if checkpointing else 1)  # checkpointed blocks run again in the backward pass
        grads.append({k: p.grad for k, p in net.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys()
    for k in grads[0]:
        torch.testing.assert_close(grads[1][k], grads[0][k], rtol=1e-4, atol=1e-6)
