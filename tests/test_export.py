"""``esrgan-run export``: ONNX and ncnn round trips (tiny RRDBNet, tiny Compact, built-in animevideov3), bad input.

Expected outputs are those of the PyTorch network the file was exported from, run here on the same
input; the ncnn files are also read back with our own ncnn reader (an independent parser).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from esrgan_core.cli import main
from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.description import LoadedModel, ModelDescription
from esrgan_core.modelfiles.loader import load_model
from esrgan_core.modelfiles.ncnn import read_ncnn
from esrgan_core.modelfiles.ncnn_format import parse_param
from esrgan_core.modelfiles.writers import save_safetensors
from esrgan_core.upscaling.runtimes import NcnnNetwork
from esrgan_plugins.export.check import photo
from esrgan_plugins.export.formats import export_onnx
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.conftest import needs_extra
from tests.upscale_nets import seeded

ort = needs_extra("export", "onnxruntime")

SIZES = ((1, 20, 28), (2, 12, 16))  # (batch, height, width): two different sizes through one file


def _save(net: nn.Module, arch: str, folder: Path, name: str) -> str:
    from esrgan_core.modelfiles.description import describe
    from esrgan_core.plugins import load_plugins

    entry = load_plugins().registries["networks"].get(arch)
    path = folder / f"{name}.safetensors"
    save_safetensors(path, net.state_dict(), describe(arch, entry.factory, net.params))
    return str(path)


NCNN_MODELS = ["rrdbnet", "compact", "realesr-animevideov3"]
ONNX_MODELS = [*NCNN_MODELS, "rrdbnet-x2"]  # x2: pixel-unshuffle, which ONNX has and ncnn does not


@pytest.fixture()
def model_ref(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param.startswith("rrdbnet"):
        scale = 2 if request.param.endswith("x2") else 4
        net = seeded(RRDBNet(RRDBNetParams(scale=scale, num_feat=8, num_block=1, num_grow_ch=4)), std=0.05)
        return _save(net, "rrdbnet", tmp_path, "tiny-rrdb")
    if request.param == "compact":
        net = seeded(SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=2)), std=0.05)
        return _save(net, "srvgg_compact", tmp_path, "tiny-compact")
    return request.param


def _inputs(batch: int, h: int, w: int) -> torch.Tensor:
    return torch.rand(batch, 3, h, w, generator=torch.Generator().manual_seed(h * w))


@pytest.mark.parametrize("model_ref", ONNX_MODELS, indirect=True)
def test_onnx_round_trip_dynamic_batch_height_width(model_ref: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", model_ref, "-o", str(tmp_path / "out"), "--format", "onnx"]) == 0
    assert "check passed" in capsys.readouterr().out
    loaded = load_model(model_ref)
    (path,) = (tmp_path / "out").glob("*.onnx")
    assert path.name.endswith(f"-x{loaded.description.scale}.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, out.name, inp.type) == ("input", "output", "tensor(float)")
    assert isinstance(inp.shape[0], str) and isinstance(inp.shape[2], str) and isinstance(inp.shape[3], str)
    for batch, h, w in SIZES:
        x = _inputs(batch, h, w)
        with torch.no_grad():
            expected = loaded.network(x).numpy()
        got = session.run(None, {"input": x.numpy()})[0]
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())


def test_onnx_fp16_within_documented_tolerance(tmp_path: Path) -> None:
    net = seeded(SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=2)), std=0.05)
    ref = _save(net, "srvgg_compact", tmp_path, "tiny")
    assert main(["export", ref, "-o", str(tmp_path / "out"), "--fp16"]) == 0
    session = ort.InferenceSession(str(tmp_path / "out" / "tiny-x2-fp16.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(float16)"
    x = photo(24, 32)
    got = session.run(None, {"input": x.numpy().astype(np.float16)})[0].astype(np.float32)
    with torch.no_grad():
        expected = net(x).numpy()
    assert np.abs(got - expected).max() <= 3e-2


@pytest.mark.parametrize("model_ref", NCNN_MODELS, indirect=True)
def test_ncnn_round_trip_blobs_and_reader(model_ref: str, tmp_path: Path) -> None:
    loaded = load_model(model_ref)
    assert main(["export", model_ref, "-o", str(tmp_path), "--format", "ncnn"]) == 0
    (param,) = tmp_path.glob("*.param")
    assert param.name.endswith(f"-x{loaded.description.scale}.param") and param.with_suffix(".bin").is_file()
    layers = parse_param(param)
    assert [x.outputs for x in layers if x.type == "Input"] == [("data",)]
    assert sum("output" in x.outputs for x in layers) == 1
    runtime = NcnnNetwork(param)
    for batch, h, w in SIZES:
        x = _inputs(batch, h, w)
        with torch.no_grad():
            expected, got = loaded.network(x), runtime(x)
        assert got.shape == expected.shape
        assert (got - expected).abs().max() <= 1e-2 * max(1.0, float(expected.abs().max()))
    state, info = read_ncnn(param)
    assert info["architecture"] == loaded.description.architecture
    assert info["hyperparameters"]["num_feat"] == loaded.description.hyperparameters["num_feat"]
    want = loaded.network.state_dict()
    assert set(state) == set(want)
    for key, value in want.items():  # fp16 storage: conv weights rounded to fp16; biases and PReLU slopes fp32
        rounded = value.half().float() if key.endswith("weight") and value.ndim == 4 else value
        assert torch.equal(state[key], rounded), key


def test_ncnn_refuses_pixel_unshuffle_naming_the_op(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    net = seeded(RRDBNet(RRDBNetParams(scale=2, num_feat=8, num_block=1, num_grow_ch=4)), std=0.05)
    ref = _save(net, "rrdbnet", tmp_path, "x2")
    out = tmp_path / "out"
    assert main(["export", ref, "-o", str(out), "--format", "ncnn"]) == 2
    err = capsys.readouterr().err
    assert "pixel-unshuffle" in err and len(err.strip().splitlines()) == 1
    assert list(out.iterdir()) == []


class TraceFrozenBranch(nn.Module):
    """x2 nearest upsampling that adds 1 on inputs wider than 40 px: tracing at 32 px freezes the branch,
    so the exported file differs from PyTorch at the check's 56 px crop."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        return y + 1.0 if x.shape[-1] > 40 else y


def test_failed_check_removes_the_file(tmp_path: Path) -> None:
    loaded = LoadedModel(TraceFrozenBranch(), ModelDescription("test", 2, 3, 3))
    target = tmp_path / "frozen.onnx"
    with pytest.raises(ModelFileError, match="check FAILED"):
        export_onnx(loaded, target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, expected", [
    (["--format", "tflite"], "unknown format 'tflite'"),
    (["--format", "ncnn", "--opset", "13"], "--opset applies to --format onnx only"),
])
def test_bad_options_exit_2_without_files(args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert main(["export", "realesr-animevideov3", "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1
    assert not out.exists() or list(out.iterdir()) == []


def test_unwritable_output_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["export", "realesr-animevideov3", "-o", str(blocker / "out")]) == 2
    assert "cannot create output folder" in capsys.readouterr().err


def test_missing_runtime_package_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # what an absent package looks like to import
    assert main(["export", "realesr-animevideov3", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'esrgan[export]'" in err and "onnxruntime" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_onnx_export_of_a_spandrel_only_architecture(tmp_path: Path) -> None:
    from spandrel.architectures.SwiftSRGAN import SwiftSRGAN  # not a registered network here: spandrel's fallback

    net = SwiftSRGAN(num_channels=8, num_blocks=1, upscale_factor=2)
    torch.save({"params": net.state_dict()}, tmp_path / "swift.pth")
    assert main(["export", str(tmp_path / "swift.pth"), "-o", str(tmp_path)]) == 0
    loaded = load_model(tmp_path / "swift.pth")
    assert loaded.description.architecture == "spandrel:SwiftSRGAN"
    session = ort.InferenceSession(str(tmp_path / "swift-x2.onnx"), providers=["CPUExecutionProvider"])
    x = _inputs(2, 12, 16)
    with torch.no_grad():
        expected = loaded.network(x).numpy()
    assert np.abs(session.run(None, {"input": x.numpy()})[0] - expected).max() <= 1e-4
