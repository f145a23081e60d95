"""``esrgan-run upscale --engine onnxruntime|ncnn`` on exported files equals ``--engine torch``, tiled and untiled."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.cli import main
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.conftest import needs_extra
from tests.upscale_nets import seeded

needs_extra("export", "onnx")  # every test here runs files that `esrgan-run export` writes


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny x2 Compact as .pth, and its ONNX and ncnn exports (through the export command)."""
    root = tmp_path_factory.mktemp("engines")
    net = seeded(SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=2)), std=0.05)
    torch.save({"params": net.state_dict()}, root / "tiny.pth")
    assert main(["export", str(root / "tiny.pth"), "-o", str(root), "--format", "onnx"]) == 0
    assert main(["export", str(root / "tiny.pth"), "-o", str(root), "--format", "ncnn"]) == 0
    image = root / "photo.png"
    cv2.imwrite(str(image), np.ascontiguousarray(skimage.data.astronaut()[150:186, 180:228, ::-1]))
    return {"torch": root / "tiny.pth", "onnxruntime": root / "tiny-x2.onnx", "ncnn": root / "tiny-x2.param", "image": image}


def _upscale(exported: dict[str, Path], engine: str, tile: int, out: Path) -> np.ndarray:
    args = ["upscale", "-i", str(exported["image"]), "-o", str(out), "-m", str(exported[engine]), "--engine", engine,
            "-t", str(tile), "--tile-overlap", "8", "--no-progress"]
    assert main(args) == 0
    return cv2.imread(str(out)).astype(np.int16)


@pytest.mark.parametrize("tile", [0, 16])
@pytest.mark.parametrize("engine", ["onnxruntime", "ncnn"])
def test_engine_equals_torch(exported: dict[str, Path], engine: str, tile: int, tmp_path: Path) -> None:
    expected = _upscale(exported, "torch", tile, tmp_path / "torch.png")
    got = _upscale(exported, engine, tile, tmp_path / f"{engine}.png")
    assert got.shape == expected.shape == (72, 96, 3)
    assert np.abs(got - expected).max() <= 1  # 8-bit rounding of values equal to ~1e-3 (ncnn: fp16 weights)


def test_param_without_bin_exits_2(exported: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lonely = tmp_path / "lonely.param"
    lonely.write_bytes(exported["ncnn"].read_bytes())
    args = ["upscale", "-i", str(exported["image"]), "-o", str(tmp_path / "o.png"), "-m", str(lonely), "--engine", "ncnn"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "lonely.bin is missing" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.png").exists()


def test_engine_needs_its_file_type(exported: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["upscale", "-i", str(exported["image"]), "-o", str(tmp_path / "o.png"), "-m", str(exported["torch"]),
            "--engine", "onnxruntime"]
    assert main(args) == 2
    assert "--engine onnxruntime runs .onnx files" in capsys.readouterr().err


def test_missing_runtime_package_names_the_extra(exported: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "ncnn", None)  # what an absent package looks like to import
    args = ["upscale", "-i", str(exported["image"]), "-o", str(tmp_path / "o.png"), "-m", str(exported["ncnn"]),
            "--engine", "ncnn"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "ncnn package is not installed; pip install 'esrgan[export]'" in err and len(err.strip().splitlines()) == 1
