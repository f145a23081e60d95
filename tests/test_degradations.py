"""Degradation stages and the pipeline: noise statistics, determinism, recipe validation, presets."""

from __future__ import annotations

import math

import pytest
import torch

from esrgan_core.config import build_config
from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.presets import from_basicsr_options, load_preset
from esrgan_core.errors import ConfigError
from esrgan_core.plugins import load_plugins
from esrgan_plugins.degradations.noise import NoiseParams, NoiseStage

# Real-ESRGAN options/train_realesrgan_x4plus.yml degradation values (reference §1.6).
OFFICIAL = {
    "resize_prob": [0.2, 0.7, 0.1], "resize_range": [0.15, 1.5], "gaussian_noise_prob": 0.5,
    "noise_range": [1, 30], "poisson_scale_range": [0.05, 3], "gray_noise_prob": 0.4, "jpeg_range": [30, 95],
    "second_blur_prob": 0.8, "resize_prob2": [0.3, 0.4, 0.3], "resize_range2": [0.3, 1.2],
    "gaussian_noise_prob2": 0.5, "noise_range2": [1, 25], "poisson_scale_range2": [0.05, 2.5],
    "gray_noise_prob2": 0.4, "jpeg_range2": [30, 95],
    "datasets": {"train": {
        "blur_kernel_size": 21, "kernel_list": ["iso", "aniso", "generalized_iso", "generalized_aniso",
                                                "plateau_iso", "plateau_aniso"],
        "kernel_prob": [0.45, 0.25, 0.12, 0.03, 0.12, 0.03], "sinc_prob": 0.1, "blur_sigma": [0.2, 3],
        "betag_range": [0.5, 4], "betap_range": [1, 2], "blur_kernel_size2": 21,
        "kernel_list2": ["iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"],
        "kernel_prob2": [0.45, 0.25, 0.12, 0.03, 0.12, 0.03], "sinc_prob2": 0.1, "blur_sigma2": [0.2, 1.5],
        "betag_range2": [0.5, 4], "betap_range2": [1, 2], "final_sinc_prob": 0.8,
    }},
    "model_type": "RealESRGANModel", "l1_gt_usm": True,
}


@pytest.fixture(scope="module")
def host():
    return load_plugins()


def _noise(x: torch.Tensor, seed: int = 0, **kw) -> torch.Tensor:
    batch = DegradationBatch.from_gt(x, 4)
    return NoiseStage(NoiseParams(**kw))(batch, torch.Generator().manual_seed(seed)).lq


def test_gaussian_noise_std_matches_sigma():
    x = torch.full((2, 3, 128, 128), 0.5)
    noise = _noise(x, gaussian_prob=1.0, sigma=(12.0, 12.0), gray_prob=0.0) - x
    assert float(noise.std()) == pytest.approx(12 / 255, rel=0.02)
    assert float(noise.mean()) == pytest.approx(0.0, abs=1e-3)


def test_gray_noise_is_equal_across_channels_and_colour_noise_is_not():
    x = torch.full((2, 3, 32, 32), 0.5)
    gray = _noise(x, gaussian_prob=1.0, sigma=(10.0, 10.0), gray_prob=1.0)
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    colour = _noise(x, gaussian_prob=1.0, sigma=(10.0, 10.0), gray_prob=0.0)
    assert not torch.equal(colour[:, 0], colour[:, 1])
    y = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    poisson = _noise(y, gaussian_prob=0.0, gray_prob=1.0, clip=False) - y
    assert torch.allclose(poisson[:, 0], poisson[:, 1], atol=1e-6) and torch.allclose(poisson[:, 1], poisson[:, 2], atol=1e-6)
    assert float(poisson.abs().max()) > 0


def test_poisson_variance_scales_with_signal():
    x = torch.full((1, 3, 128, 256), 0.2)
    x[..., 128:] = 0.8  # two distinct values -> vals = 2^ceil(log2 2) = 2
    noise = _noise(x, gaussian_prob=0.0, poisson_scale=(1.0, 1.0), gray_prob=0.0, clip=False) - x
    # noise = Poisson(v*q)/v - q has variance q / v
    assert float(noise[..., :128].var()) == pytest.approx(0.2 / 2, rel=0.05)
    assert float(noise[..., 128:].var()) == pytest.approx(0.8 / 2, rel=0.05)


def _pipeline(host, name: str = "realesrgan_x4plus", drop_jpeg: bool = False) -> Pipeline:
    stages = load_preset(name).stages
    if drop_jpeg:
        stages = _without_jpeg(stages)
    return Pipeline.from_dicts(stages, host.registries)


def _without_jpeg(stages):
    out = []
    for s in stages:
        if s["type"] == "jpeg":
            continue
        if s["type"] == "random_order":
            s = {**s, "groups": [g for g in (_without_jpeg(g) for g in s["groups"]) if g]}
        out.append(s)
    return out


def test_pipeline_output_shape_range_quantised_and_deterministic(host):
    pipe = _pipeline(host)
    gt = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    a = pipe(gt, torch.Generator().manual_seed(7), 4)
    b = pipe(gt, torch.Generator().manual_seed(7), 4)
    c = pipe(gt, torch.Generator().manual_seed(8), 4)
    assert a.lq.shape == (3, 3, 16, 16) and a.lq.dtype == torch.float32
    assert a.gt_usm is not None and a.gt_usm.shape == gt.shape and torch.equal(a.gt, gt)
    assert float(a.lq.min()) >= 0 and float(a.lq.max()) <= 1
    assert torch.equal(a.lq * 255, torch.round(a.lq * 255))
    assert torch.equal(a.lq, b.lq) and a.record == b.record
    assert not torch.equal(a.lq, c.lq)


def _within_3se(hits: int, n: int, p: float) -> bool:
    return abs(hits / n - p) <= 3 * math.sqrt(p * (1 - p) / n)


@pytest.mark.slow
def test_preset_statistics_match_configured_probabilities(host):
    pipe = _pipeline(host, drop_jpeg=True)
    gen = torch.Generator().manual_seed(0)
    records = []
    for _ in range(5):
        gt = torch.rand(100, 3, 32, 32, generator=gen)
        records += pipe(gt, gen, 4).record
    n = len(records)
    assert n >= 500

    def count(pred) -> int:
        return sum(1 for r in records if pred(r))

    assert _within_3se(count(lambda r: r["blur1"]["kernel"] == "sinc"), n, 0.1)
    for kind, p in zip(("up", "down", "keep"), (0.2, 0.7, 0.1)):
        assert _within_3se(count(lambda r, k=kind: r["resize1"]["type"] == k), n, p), kind
    for kind, p in zip(("up", "down", "keep"), (0.3, 0.4, 0.3)):
        assert _within_3se(count(lambda r, k=kind: r["resize2"]["type"] == k), n, p), kind
    assert _within_3se(count(lambda r: r["noise1"]["kind"] == "gaussian"), n, 0.5)
    assert _within_3se(count(lambda r: r["noise2"]["gray"]), n, 0.4)
    assert _within_3se(count(lambda r: r["blur2"]["applied"]), n, 0.8)
    assert _within_3se(count(lambda r: r["final_sinc"]["applied"]), n, 0.8)
    iso = count(lambda r: r["blur1"]["kernel"] == "iso")
    assert _within_3se(iso, n, 0.9 * 0.45)


def test_per_batch_draws_are_shared_within_a_batch(host):
    stages = [{"type": "resize", "name": "r", "per_batch": True, "to": "lr", "range": [0.5, 1.5]},
              {"type": "noise", "name": "nz", "per_batch": True},
              {"type": "resize", "name": "f", "prob": [0, 0, 1], "to": "lr"}]
    pipe = Pipeline.from_dicts(stages, host.registries)
    for seed in range(4):
        rec = pipe(torch.rand(6, 3, 32, 32), torch.Generator().manual_seed(seed), 2).record
        assert len({(r["r"]["type"], r["r"]["scale"], r["r"]["mode"]) for r in rec}) == 1
        assert len({r["nz"]["kind"] for r in rec}) == 1


@pytest.mark.parametrize(("stage", "key", "needle"), [
    ({"type": "blur", "sigma": [-1, 2]}, "stages[0].sigma", "out of range"),
    ({"type": "blur", "kernel_prob": [0.5, 0.2, 0.1, 0.1, 0.05, 0.01]}, "stages[0].kernel_prob", "sum to 1"),
    ({"type": "blur", "kernel_size": [8, 21]}, "stages[0].kernel_size", "odd"),
    ({"type": "resize", "prob": [0.5, 0.5, 0.5]}, "stages[0].prob", "sum to 1"),
    ({"type": "noise", "sigma": [30, 1]}, "stages[0].sigma", "exceeds"),
    ({"type": "random_order", "groups": [[{"type": "sinc", "kernel_size": [7, 20]}]]},
     "stages[0].groups[0][0].kernel_size", "odd"),
])
def test_bad_recipe_values_are_config_errors_naming_stage_and_key(stage, key, needle):
    with pytest.raises(ConfigError) as info:
        build_config({"task": "preview", "stages": [stage]})
    assert info.value.path == key
    assert needle in info.value.message


def test_presets_equal_the_basicsr_reader_output():
    stages = from_basicsr_options(OFFICIAL)
    assert load_preset("realesrgan_x4plus").stages == stages
    assert load_preset("realesrgan_x2plus").stages == stages
    assert (load_preset("realesrgan_x4plus").scale, load_preset("realesrgan_x2plus").scale) == (4, 2)


def test_reader_follows_the_model_type_for_usm_and_names_missing_keys():
    esrnet = {**OFFICIAL, "model_type": "RealESRNetModel", "gt_usm": True}
    assert from_basicsr_options(esrnet)[0] == {"type": "usm", "targets": ["gt_usm", "lq"]}
    assert from_basicsr_options({**esrnet, "gt_usm": False})[0]["type"] != "usm"
    with pytest.raises(ConfigError, match="noise_range2"):
        from_basicsr_options({k: v for k, v in OFFICIAL.items() if k != "noise_range2"})
