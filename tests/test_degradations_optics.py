"""camera, motion_blur, defocus_blur, sharpen_halo, posterize, color_jitter against their definitions.

Motion blur of a point is a segment of the drawn length and angle (second moments); defocus of a
point is a disk of the drawn radius; the camera model without noise or colour is the identity up
to the demosaic error and its noise has the drawn variance on the Bayer sites; sharpening and
colour jitter equal independent implementations (scipy, torchvision); posterize gives at most
2^bits levels and its dithers keep the mean of flat areas.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from scipy import ndimage

from esrgan_core.degradation import DegradationBatch, run_stage
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.photos import load_photo
from esrgan_core.plugins import load_plugins
from tests.conftest import requires_extra

NEW = ["video_codec", "image_codec", "chroma_subsample", "camera", "motion_blur", "defocus_blur", "sharpen_halo",
       "posterize", "color_jitter"]


@pytest.fixture(scope="module")
def registries():
    return load_plugins().registries


def run(stage: dict, x: torch.Tensor, registries, seed: int = 0) -> DegradationBatch:
    pipeline = Pipeline.from_dicts([stage], registries, quantize=False)
    return run_stage(pipeline.stages[0], DegradationBatch.from_gt(x.clone(), 1), torch.Generator().manual_seed(seed))


def photo(h: int = 48, w: int = 64) -> torch.Tensor:
    img = load_photo("astronaut")[100:100 + h, 150:150 + w]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div(255).unsqueeze(0)


def point(size: int = 61) -> torch.Tensor:
    x = torch.zeros(1, 3, size, size, dtype=torch.float64)
    x[..., size // 2, size // 2] = 1.0
    return x


def moments(img: torch.Tensor) -> tuple[np.ndarray, float]:
    """Covariance (x right, y up) of a non-negative 2-D image and its total mass."""
    a = img.numpy()
    h, w = a.shape
    ys, xs = np.mgrid[0:h, 0:w]
    ys = -(ys - h // 2)
    xs = xs - w // 2
    m = a.sum()
    mx, my = (a * xs).sum() / m, (a * ys).sum() / m
    cov = np.array([[(a * (xs - mx) ** 2).sum(), (a * (xs - mx) * (ys - my)).sum()],
                    [(a * (xs - mx) * (ys - my)).sum(), (a * (ys - my) ** 2).sum()]]) / m
    return cov, m


@pytest.mark.parametrize("length,angle", [(9.0, 30.0), (14.0, 120.0), (5.0, 0.0)])
def test_motion_blur_of_a_point_is_a_line_of_the_drawn_length_and_angle(length, angle, registries):
    out = run({"type": "motion_blur", "length": [length, length], "angle": [angle, angle]}, point(), registries)
    cov, mass = moments(out.lq[0, 0])
    vals, vecs = np.linalg.eigh(cov)
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert math.sqrt(12 * (vals[1] - 1 / 6)) == pytest.approx(length, rel=0.02)  # uniform segment: L^2/12
    assert vals[0] <= 0.25 + 1e-9  # across it only the bilinear splat: at most a quarter pixel squared
    along = math.degrees(math.atan2(vecs[1, 1], vecs[0, 1])) % 180
    assert min(abs(along - angle % 180), 180 - abs(along - angle % 180)) < 1.0
    assert out.record[0]["motion_blur"] == {"length": length, "angle": angle}


@pytest.mark.parametrize("radius", [2.0, 5.5])
def test_defocus_disk_of_a_point_has_the_drawn_radius(radius, registries):
    out = run({"type": "defocus_blur", "radius": [radius, radius], "kinds": ["disk"]}, point(), registries)
    k = out.lq[0, 0]
    cov, mass = moments(k)
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert cov[0, 0] + cov[1, 1] == pytest.approx(radius**2 / 2 + 1 / 6, rel=0.05)  # uniform disk (+ pixel box, ~1/6)
    ys, xs = torch.nonzero(k > 1e-12, as_tuple=True)
    r = torch.sqrt((ys - 30.0) ** 2 + (xs - 30.0) ** 2)
    assert float(r.max()) <= radius + math.sqrt(2) / 2 + 1e-6
    lens = run({"type": "defocus_blur", "radius": [radius, radius], "kinds": ["lens"], "rim": [1, 1]}, point(),
               registries).lq[0, 0]
    assert float(lens[30, 30]) < float(k[30, 30])  # the rim takes weight from the centre


def test_camera_without_noise_and_colour_is_the_identity_up_to_demosaicing(registries):
    plain = {"type": "camera", "shot_noise": [0, 0], "read_noise": [0, 0], "ccm": "identity", "red_gain": [1, 1],
             "blue_gain": [1, 1], "rgb_gain": False}
    flat = torch.tensor([0.7, 0.4, 0.15], dtype=torch.float64).view(1, 3, 1, 1).expand(1, 3, 20, 22).clone()
    assert torch.allclose(run(plain, flat, registries).lq, flat, atol=1e-9)  # bilinear demosaic is exact on flat
    # linear RAW (no tone curve, gamma 1): bilinear demosaicing is exact on linear ramps away from the border
    ramp = (torch.linspace(0.1, 0.9, 30, dtype=torch.float64).view(1, 1, 1, -1) * torch.tensor([1.0, 0.8, 0.5],
            dtype=torch.float64).view(1, 3, 1, 1)).expand(1, 3, 16, 30).clone()
    lin = run({**plain, "tone": False, "gamma": 1.0}, ramp, registries).lq
    assert torch.allclose(lin[..., 1:-1, 1:-1], ramp[..., 1:-1, 1:-1], atol=1e-9)
    x = photo()
    out = run({**plain, "demosaic": ["bilinear"]}, x, registries).lq
    error = 10 * math.log10(1 / float(((out - x) ** 2).mean()))
    assert 25 < error < 60  # the demosaic error is all that is left


def test_camera_noise_has_the_drawn_variance_on_the_green_sites(registries):
    v, shot, read = 0.3, 0.01, 0.0004
    stage = {"type": "camera", "shot_noise": [shot, shot], "read_noise": [read, read], "ccm": "identity",
             "red_gain": [1, 1], "blue_gain": [1, 1], "rgb_gain": False, "tone": False, "gamma": 1.0}
    x = torch.full((1, 3, 128, 128), v, dtype=torch.float64)
    out = run(stage, x, registries, seed=2).lq[0, 1]
    g = torch.cat([out[0::2, 1::2].flatten(), out[1::2, 0::2].flatten()])  # green photosites keep their RAW value
    assert float(g.var()) == pytest.approx(shot * v + read, rel=0.06)
    assert float(g.mean()) == pytest.approx(v, abs=0.003)


def test_camera_default_draws_are_the_papers_and_reproducible(registries):
    x = torch.cat([photo()] * 6)
    a, b = run({"type": "camera"}, x, registries, 4), run({"type": "camera"}, x, registries, 4)
    assert torch.equal(a.lq, b.lq) and a.record == b.record
    for rec in a.record:
        r = rec["camera"]
        assert 1e-4 <= r["shot_noise"] <= 0.012 and 1.9 <= r["red_gain"] <= 2.4 and 1.5 <= r["blue_gain"] <= 1.9
        # read noise scatters around the paper's line log(read) = 2.18 log(shot) + 1.2 with sd 0.26
        assert abs(math.log(r["read_noise"]) - (2.18 * math.log(r["shot_noise"]) + 1.2)) < 5 * 0.26


def test_sharpen_halo_equals_an_unsharp_mask_by_scipy_and_overshoots_edges(registries):
    x = torch.full((1, 3, 24, 40), 0.3, dtype=torch.float64)
    x[..., 20:] = 0.7
    amount, sigma = 1.5, 1.2
    out = run({"type": "sharpen_halo", "amount": [amount, amount], "sigma": [sigma, sigma], "clip": False}, x,
              registries).lq
    a = x[0, 0].numpy()
    blur = ndimage.gaussian_filter(a, sigma, mode="mirror", truncate=math.ceil(3 * sigma) / sigma)
    assert np.allclose(out[0, 0].numpy(), a + amount * (a - blur), atol=1e-9)
    assert float(out.max()) > 0.75 and float(out.min()) < 0.25  # halos on both sides of the edge


def test_posterize_levels_and_dithers(registries):
    ramp = torch.linspace(0, 1, 64, dtype=torch.float64).view(1, 1, 1, -1).expand(1, 3, 16, 64).clone()
    plain = run({"type": "posterize", "bits": [3, 3], "dither": ["none"]}, ramp, registries).lq
    assert torch.equal(plain, torch.round(ramp * 7) / 7)
    assert torch.unique(plain).numel() <= 8
    flat = torch.full((1, 3, 64, 64), 0.3, dtype=torch.float64)
    for dither, tol in (("random", 0.01), ("ordered", 1 / (64 * 3))):  # ordered: 64 thresholds per 8x8 tile
        out = run({"type": "posterize", "bits": [2, 2], "dither": [dither]}, flat, registries, seed=1).lq
        assert torch.unique(out).numel() <= 4
        assert float(out.mean()) == pytest.approx(0.3, abs=tol)  # dithering keeps the mean; plain rounding: 1/3
    assert float(run({"type": "posterize", "bits": [2, 2], "dither": ["none"]}, flat, registries).lq.mean()) == \
        pytest.approx(1 / 3)


def test_color_jitter_equals_torchvision(registries):
    x = photo()
    f = {"brightness": 1.15, "contrast": 0.8, "saturation": 1.3, "gamma": 0.9}
    out = run({"type": "color_jitter", **{k: [v, v] for k, v in f.items()}}, x, registries).lq
    want = TF.adjust_gamma(TF.adjust_saturation(TF.adjust_contrast(TF.adjust_brightness(x, f["brightness"]),
                                                                    f["contrast"]), f["saturation"]), f["gamma"])
    assert torch.allclose(out, want, atol=1e-6)


@pytest.mark.parametrize("name", [pytest.param(n, marks=requires_extra("video", "av")) if n == "video_codec" else n for n in NEW])
def test_every_new_stage_is_reproducible_on_a_ragged_batch(name, registries):
    x = torch.cat([photo(40, 40), photo(40, 40).flip(-1), photo(40, 40).flip(-2)])
    stages = [{"type": "resize", "range": [0.5, 1.0], "prob": [0, 1, 0], "to": "relative"}, {"type": name},
              {"type": "resize", "to": "lr", "prob": [0, 0, 1]}]
    pipeline = Pipeline.from_dicts(stages, registries)
    a = pipeline(x, torch.Generator().manual_seed(9), 2)
    b = pipeline(x, torch.Generator().manual_seed(9), 2)
    sizes = {tuple(r["resize"]["size"]) for r in a.record}
    assert len(sizes) > 1  # the stage ran on groups of different sizes
    assert torch.equal(a.lq, b.lq) and a.record == b.record and a.lq.shape == (3, 3, 20, 20)
    assert all(name.split("_")[0] in " ".join(r) for r in a.record)
