"""fit-degradation on LR made by a hidden "true" recipe: the fitted ranges contain the true parameters, the
distance drops below the base recipe's and x4plus's, and the written recipe validates.

Real LR: the bottom halves of five built-in photos degraded by TRUE; HR for the synthesis: their top
halves (held-out image content: no pixel of the real set is in the HR set). The base recipe has the
same stages with wide ranges; the search is small (seeded) so the test runs in about a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.realism import RealismSetup
from esrgan_core.images import write_image
from esrgan_core.photos import load_photo
from esrgan_core.plugins import load_plugins
from esrgan_plugins.degradations.fit import decode, encode, search_space
from esrgan_plugins.degradations.fit_cli import fit

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "stereo_motorcycle")
BLUR = {"type": "blur", "kernel_list": ["iso"], "kernel_prob": [1], "sinc_prob": 0, "kernel_size": [11, 11]}
RESIZE = {"type": "resize", "to": "lr", "prob": [0, 0, 1], "modes": ["bicubic"]}
NOISE = {"type": "noise", "gaussian_prob": 1, "gray_prob": 0}
JPEG = {"type": "jpeg", "backend": "codec"}
TRUE_VALUES = {"sigma_blur": 1.3, "sigma_noise": 7.0, "quality": 75.0}
TRUE = [{**BLUR, "sigma": [1.3, 1.3]}, RESIZE, {**NOISE, "sigma": [7, 7]}, {**JPEG, "quality": [75, 75]}]
BASE = [{**BLUR, "sigma": [0.2, 3.0]}, RESIZE, {**NOISE, "sigma": [1, 30]}, {**JPEG, "quality": [30, 95]}]


@pytest.fixture(scope="module")
def registries():
    return load_plugins().registries


def make_sets(root, registries):
    pipeline = Pipeline.from_dicts(TRUE, registries)
    g = torch.Generator().manual_seed(5)
    (root / "real").mkdir()
    (root / "hr").mkdir()
    for n in PHOTOS:
        img = load_photo(n)
        h, w = img.shape[0] // 8 * 4, img.shape[1] // 4 * 4
        write_image(root / "hr" / f"{n}.png", img[:h, :w].astype(np.float32) / 255)
        t = torch.from_numpy(np.ascontiguousarray(img[h:2 * h, :w].transpose(2, 0, 1))).float().div(255)[None]
        write_image(root / "real" / f"{n}.png", pipeline(t, g, 4).lq[0].permute(1, 2, 0).numpy())
    (root / "base.yml").write_text(yaml.safe_dump({"task": "preview", "scale": 4, "stages": BASE}))


def test_the_search_space_and_its_coding_round_trip(registries):
    dims = search_space(BASE, registries)
    assert [d.label(BASE) for d in dims] == ["blur.sigma", "noise.sigma", "jpeg.quality"]
    back = decode(encode(BASE, dims, registries), BASE, dims)
    assert [s.get("sigma") or s.get("quality") for s in back] == [[0.2, 3.0], None, [1.0, 30.0], [30.0, 95.0]]


@pytest.mark.slow
def test_fit_recovers_the_hidden_recipe(tmp_path, registries):
    make_sets(tmp_path, registries)
    out = tmp_path / "fitted.yml"
    s = fit(str(tmp_path / "base.yml"), tmp_path / "real", tmp_path / "hr", out, registries,
            RealismSetup(patch=24, synthetic=40, per_image=8, kid=False), objective="stats", candidates=16, rounds=3,
            per_round=6, seed=0, tolerance=0.2)
    stages = yaml.safe_load(out.read_text())["stages"]
    blur, noise, jpeg = stages[0]["sigma"], stages[2]["sigma"], stages[3]["quality"]
    assert blur[0] <= TRUE_VALUES["sigma_blur"] <= blur[1], blur
    assert noise[0] <= TRUE_VALUES["sigma_noise"] <= noise[1], noise
    assert jpeg[0] <= TRUE_VALUES["quality"] <= jpeg[1], jpeg
    assert s["fitted_distance"] < 0.5 * s["base_distance"]
    assert s["fitted_distance"] < s["compare"]["distance"]  # closer than realesrgan_x4plus
    print(json.dumps({k: s[k] for k in ("base_distance", "fitted_distance", "compare")}), blur, noise, jpeg)
    r = subprocess.run([sys.executable, "-c", "from esrgan_core.cli import entry; entry()", "validate", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "valid (preview config)" in r.stdout, r.stderr


def test_bad_fit_inputs_are_one_line_errors(tmp_path):
    base = [sys.executable, "-c", "from esrgan_core.cli import entry; entry()", "fit-degradation", "--no-kid",
            "--objective", "stats"]
    r = subprocess.run([*base, "--real", str(tmp_path), "-o", str(tmp_path / "nope" / "f.yml")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "is not a writable folder" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*base, "--real", str(tmp_path), "-o", str(tmp_path / "f.yml"), "--base", "x4plus"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "neither a preset" in r.stderr
    r = subprocess.run([*base[:-2], "--real", str(tmp_path), "-o", str(tmp_path / "f.yml")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2 and "needs KID" in r.stderr
