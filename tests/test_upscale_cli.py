"""``esrgan-run upscale`` and ``task: upscale`` end to end, through esrgan_core.cli.main and run_config."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.cli import main
from esrgan_core.config import build_config
from esrgan_core.context import run_config
from esrgan_core.images import read_image
from esrgan_core.modelfiles.loader import load_model
from esrgan_core.upscaling.engine import Upscaler
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from esrgan_plugins.upscale.models import interpolate_state_dicts
from tests.upscale_nets import seeded


def _tiny_model(path: Path, seed: int = 0, feat: int = 8) -> Path:
    """A tiny x2 SRVGGNetCompact saved as an official-style ``{'params': state_dict}`` .pth."""
    net = seeded(SRVGGNetCompact(SRVGGParams(num_feat=feat, num_conv=2, upscale=2)), seed=seed, std=0.05)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"params": net.state_dict()}, path)
    return path


def _photo_bgr_u8(h: int = 20, w: int = 28) -> np.ndarray:
    return np.ascontiguousarray(skimage.data.astronaut()[150:150 + h, 180:180 + w, ::-1])


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    return _tiny_model(tmp_path / "models" / "tiny.pth")


def test_folder_with_unreadable_files_upscales_the_good_ones_and_exits_2(tmp_path, model, caplog):
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "a.png"), _photo_bgr_u8())
    cv2.imwrite(str(src / "b.jpg"), _photo_bgr_u8(24, 18))
    good = (src / "a.png").read_bytes()
    (src / "corrupt.png").write_bytes(good[: len(good) // 2])
    (src / "notes.png").write_text("this is text, not an image\n")
    with caplog.at_level(logging.INFO):
        code = main(["upscale", "-i", str(src), "-o", str(tmp_path / "out"), "-m", str(model), "--no-progress"])
    assert code == 2  # unreadable inputs are bad input (README: exit codes)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_out.png", "b_out.jpg"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert any("corrupt.png" in e for e in errors) and any("notes.png" in e for e in errors)
    assert "upscaled 2, skipped 0, failed 2 of 4" in caplog.text
    assert read_image(tmp_path / "out" / "a_out.png").pixels.shape == (40, 56, 3)


def test_sixteen_bit_png_in_gives_sixteen_bit_png_out(tmp_path, model):
    img16 = (_photo_bgr_u8().astype(np.uint16) * 257 + 100).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), img16)
    assert main(["upscale", "-i", str(tmp_path / "deep.png"), "-o", str(tmp_path / "o"), "-m", str(model)]) == 0
    out = cv2.imread(str(tmp_path / "o" / "deep_out.png"), cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint16 and out.shape == (40, 56, 3)
    assert len(np.unique(out)) > 256  # real 16-bit content, not 8-bit scaled up


def test_gray_and_rgba_files_keep_their_mode(tmp_path, model):
    bgr = _photo_bgr_u8()
    cv2.imwrite(str(tmp_path / "g.png"), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    alpha = np.tile(np.linspace(0, 255, 28, dtype=np.uint8), (20, 1))
    cv2.imwrite(str(tmp_path / "t.png"), np.dstack([bgr, alpha]))
    args = ["upscale", "-i", str(tmp_path / "*.png"), "-o", str(tmp_path / "o"), "-m", str(model), "--alpha", "resize"]
    assert main(args) == 0
    assert read_image(tmp_path / "o" / "g_out.png").mode == "L"
    rgba = read_image(tmp_path / "o" / "t_out.png")
    assert rgba.mode == "RGBA" and rgba.pixels.shape == (40, 56, 4)
    expected = np.repeat(np.linspace(0, 1, 28, dtype=np.float32), 2)
    np.testing.assert_allclose(rgba.pixels[10, :, 3], expected, atol=0.02)


def test_outscale_and_ext_and_skip_existing(tmp_path, model):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    args = ["upscale", "-i", str(tmp_path / "p.png"), "-o", str(tmp_path / "o"), "-m", str(model), "-s", "3.5",
            "--ext", "jpg", "--suffix", "x"]
    assert main(args) == 0
    out = tmp_path / "o" / "p_x.jpg"
    assert read_image(out).pixels.shape == (int(20 * 3.5), int(28 * 3.5), 3)
    before = out.stat().st_mtime_ns
    assert main([*args, "--skip-existing"]) == 0
    assert out.stat().st_mtime_ns == before


def test_output_never_overwrites_its_input(tmp_path, model):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    original = (tmp_path / "p.png").read_bytes()
    code = main(["upscale", "-i", str(tmp_path), "-o", str(tmp_path), "-m", str(model), "--suffix", ""])
    assert code == 1 and (tmp_path / "p.png").read_bytes() == original


def test_tiled_cli_output_matches_untiled(tmp_path, model):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8(60, 70))
    base = ["upscale", "-i", str(tmp_path / "p.png"), "-m", str(model)]
    assert main([*base, "-o", str(tmp_path / "whole")]) == 0
    assert main([*base, "-o", str(tmp_path / "tiled"), "-t", "32", "--tile-overlap", "16", "--tile-batch", "2"]) == 0
    a = read_image(tmp_path / "whole" / "p_out.png").pixels
    b = read_image(tmp_path / "tiled" / "p_out.png").pixels
    assert np.abs(a - b).max() <= 1 / 255 + 1e-6  # 8-bit rounding of results equal to ~1e-6


def test_config_task_runs_the_same_upscale(tmp_path, model):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    data = {"task": "upscale", "input": str(tmp_path / "p.png"), "output": str(tmp_path / "o"), "model": str(model),
            "tile": 16, "tile_overlap": 8, "progress": False}
    cfg, host = build_config(data)
    assert run_config(cfg, host) == 0
    assert (tmp_path / "o" / "p_out.png").is_file()


def test_model_interpolation_and_denoise_strength(tmp_path):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    a = _tiny_model(tmp_path / "w" / "realesr-general-x4v3.pth", seed=1)
    b = _tiny_model(tmp_path / "w" / "realesr-general-wdn-x4v3.pth", seed=2)
    base = ["upscale", "-i", str(tmp_path / "p.png"), "-m", str(a)]
    assert main([*base, "-o", str(tmp_path / "i"), "--model2", str(b), "--alpha-interp", "0.3"]) == 0
    assert main([*base, "-o", str(tmp_path / "d"), "-dn", "0.7"]) == 0  # 0.7*general + 0.3*wdn: the same mix
    net = load_model(a).network
    net.load_state_dict(interpolate_state_dicts(net.state_dict(), load_model(b).network.state_dict(), 0.3))
    expected = Upscaler(net, 2, device="cpu").upscale_image(read_image(tmp_path / "p.png"))
    for folder in ("i", "d"):
        got = read_image(tmp_path / folder / "p_out.png").pixels
        assert np.abs(got - expected).max() <= 0.5 / 255 + 1e-6


def test_incompatible_interpolation_is_one_clear_error(tmp_path, model, capsys):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    other = _tiny_model(tmp_path / "wide.pth", feat=16)
    code = main(["upscale", "-i", str(tmp_path / "p.png"), "-o", str(tmp_path / "o"), "-m", str(model), "--model2", str(other)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot be interpolated" in err[0] and "wide.pth" in err[0]


def test_bad_options_are_config_errors(tmp_path, model, capsys):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    assert main(["upscale", "-i", str(tmp_path / "p.png"), "-m", str(model), "--alpha-interp", "0.3"]) == 2
    assert "interpolate: needs model2" in capsys.readouterr().err
    assert main(["upscale", "-i", str(tmp_path / "p.png"), "-m", str(model), "-t", "-5"]) == 2
    assert main(["upscale", "-i", str(tmp_path / "nothing-*.png"), "-m", str(model)]) == 2


def test_tile_auto_and_channels_last_from_the_command_line(tmp_path, model, capsys):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    base = ["upscale", "-i", str(tmp_path / "p.png"), "-m", str(model), "--precision", "fp32"]
    assert main([*base, "-o", str(tmp_path / "whole")]) == 0
    assert main([*base, "-o", str(tmp_path / "auto"), "-t", "auto", "--channels-last"]) == 0
    a = read_image(tmp_path / "whole" / "p_out.png").pixels
    b = read_image(tmp_path / "auto" / "p_out.png").pixels
    assert np.abs(a - b).max() <= 1 / 255 + 1e-6  # a tiny image fits any budget: whole image, same result
    assert main([*base, "-t", "big"]) == 2 and "invalid tile value: 'big'" in capsys.readouterr().err


def test_torch_only_speed_options_are_refused_with_other_engines(tmp_path, model, capsys):
    cv2.imwrite(str(tmp_path / "p.png"), _photo_bgr_u8())
    code = main(["upscale", "-i", str(tmp_path / "p.png"), "-m", str(model), "--engine", "onnxruntime", "--compile"])
    assert code == 2 and "channels_last and compile are torch options" in capsys.readouterr().err
