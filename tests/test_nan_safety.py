"""Outputs are never worse than nothing: damaged weights are refused, garbage results never written."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.cli import main
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.upscale_nets import seeded


def _net() -> SRVGGNetCompact:
    return seeded(SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=2)), seed=0, std=0.05)


def _save(path: Path, state: dict[str, torch.Tensor]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"params": state}, path)
    return path


def _poisoned(tmp_path: Path, value: float, key_index: int = 2) -> tuple[Path, str]:
    state = _net().state_dict()
    key = list(state)[key_index]
    state[key] = state[key].clone()
    state[key].view(-1)[3] = value
    return _save(tmp_path / f"bad_{value}.pth", state), key


@pytest.fixture()
def earlier_output(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """An input image and a good output of it made earlier under the name a new run would use."""
    src = tmp_path / "in" / "photo.png"
    src.parent.mkdir()
    cv2.imwrite(str(src), np.ascontiguousarray(skimage.data.astronaut()[150:170, 180:208, ::-1]))
    good = _save(tmp_path / "good.pth", _net().state_dict())
    out = tmp_path / "out"
    assert main(["upscale", "-i", str(src.parent), "-o", str(out), "-m", str(good), "--no-progress"]) == 0
    result = out / "photo_out.png"
    return src.parent, result, result.read_bytes()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_model_is_refused_and_earlier_output_stays_byte_identical(tmp_path, earlier_output, value, capsys):
    folder, result, before = earlier_output
    bad, key = _poisoned(tmp_path, value)
    code = main(["upscale", "-i", str(folder), "-o", str(result.parent), "-m", str(bad), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and repr(key) in err[0] and "non-finite" in err[0]
    assert result.read_bytes() == before
    assert [p.name for p in result.parent.iterdir()] == ["photo_out.png"]


def test_non_finite_second_model_of_an_interpolation_is_refused(tmp_path, earlier_output, capsys):
    folder, result, before = earlier_output
    bad, _ = _poisoned(tmp_path, float("nan"))
    good = tmp_path / "good.pth"
    assert main(["upscale", "-i", str(folder), "-o", str(result.parent), "-m", str(good), "--model2", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert result.read_bytes() == before


@pytest.mark.parametrize("kind", ["overflow", "black"])
def test_finite_model_with_garbage_output_writes_nothing(tmp_path, earlier_output, kind, caplog):
    """Finite weights can still give NaN (overflow) or a black image: that file fails, the old output stays."""
    folder, result, before = earlier_output
    state = _net().state_dict()
    last_bias = [k for k in state if k.endswith("bias")][-1]
    if kind == "overflow":
        state = {k: v * 1e30 if v.ndim == 4 else v for k, v in state.items()}  # inf - inf = NaN inside
    else:
        state[last_bias] = torch.full_like(state[last_bias], -100.0)  # every pixel far below 0 -> clamped black
    model = _save(tmp_path / f"{kind}.pth", state)
    code = main(["upscale", "-i", str(folder), "-o", str(result.parent), "-m", str(model), "--no-progress"])
    assert code == 1
    assert ("non-finite" if kind == "overflow" else "all-black") in caplog.text
    assert result.read_bytes() == before
    assert [p.name for p in result.parent.iterdir()] == ["photo_out.png"]


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_convert_refuses_non_finite_model(tmp_path, suffix, capsys):
    bad, key = _poisoned(tmp_path, float("nan"), key_index=0)
    out = tmp_path / f"converted{suffix}"
    assert main(["convert", str(bad), str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and repr(key) in err
    assert not out.exists() and not list(tmp_path.glob(".tmp-*"))


def test_non_finite_safetensors_is_refused_at_load(tmp_path):
    from safetensors.torch import save_file

    from esrgan_core.errors import ModelFileError
    from esrgan_core.modelfiles.loader import load_model

    state = _net().state_dict()
    key = list(state)[-1]
    state[key] = torch.full_like(state[key], float("-inf"))
    path = tmp_path / "bad.safetensors"
    save_file(state, str(path))
    with pytest.raises(ModelFileError, match=rf"{key}.*non-finite"):
        load_model(path)


@pytest.mark.parametrize("fmt", ["safetensors", "onnx"])
def test_export_refuses_non_finite_model(tmp_path, fmt, capsys):
    bad, key = _poisoned(tmp_path, float("inf"))
    out = tmp_path / "exported"
    assert main(["export", str(bad), "-o", str(out), "-f", fmt]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and repr(key) in err
    assert not out.exists() or not any(out.iterdir())


def test_video_whose_model_gives_black_frames_writes_nothing(tmp_path, caplog):
    """The video path checks each upscaled frame as the image path does: a black result stops that file."""
    from tests.video_support import make_video

    state = _net().state_dict()
    last_bias = [k for k in state if k.endswith("bias")][-1]
    state[last_bias] = torch.full_like(state[last_bias], -100.0)  # every pixel far below 0 -> clamped black
    model = _save(tmp_path / "black.pth", state)
    src = tmp_path / "clip.mkv"
    make_video(src)
    out = tmp_path / "out"
    code = main(["upscale", "-i", str(src), "-o", str(out), "-m", str(model), "--no-progress", "--frame-batch", "4"])
    assert code == 1
    assert "frame 0" in caplog.text and "all-black" in caplog.text
    assert not out.exists() or not any(p.suffix == ".mkv" for p in out.iterdir())
