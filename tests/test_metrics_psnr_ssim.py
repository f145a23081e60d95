"""PSNR/SSIM: BasicSR protocol, checked against definitions and independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import skimage.data
import skimage.metrics

from esrgan_core.errors import ConfigError
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_core.values import ComponentSpec
from esrgan_plugins.metrics.psnr_ssim import Psnr, PsnrSsimParams, Ssim, calculate_psnr, calculate_ssim


def _hr_u8(h: int = 48, w: int = 56) -> np.ndarray:
    """HWC RGB uint8 crop of a photo, values kept within [10, 240] so +/-10 offsets do not clip."""
    a = skimage.data.astronaut()[100 : 100 + h, 150 : 150 + w].astype(np.int32)
    return np.clip(a, 10, 240).astype(np.uint8)


def _noisy(u8: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """HWC RGB float [0,1]: the image plus Gaussian noise (not quantised; the metric rounds)."""
    rng = np.random.default_rng(seed)
    return np.clip(u8 / 255.0 + rng.normal(0, sigma, u8.shape), 0, 1)


def _y_float64(u8: np.ndarray) -> np.ndarray:
    """MATLAB BT.601 luma on the [0,255] scale, from the formula (independent of the plugin)."""
    r, g, b = (u8[..., i].astype(np.float64) / 255.0 for i in range(3))
    return 16.0 + 65.481 * r + 128.553 * g + 24.966 * b


def _ssim_definition(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two HxW float64 [0,255] planes with scipy: 11x11 Gaussian(1.5), valid windows."""
    x = np.arange(11) - 5.0
    g = np.exp(-(x**2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()

    def f(z: np.ndarray) -> np.ndarray:
        return scipy.signal.correlate2d(z, w, mode="valid")

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ma, mb = f(a), f(b)
    va, vb, cov = f(a * a) - ma**2, f(b * b) - mb**2, f(a * b) - ma * mb
    return float((((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))).mean())


def test_psnr_of_constant_offset_equals_known_mse() -> None:
    hr = _hr_u8()
    sr = (hr.astype(np.int32) + 5).astype(np.uint8)  # MSE exactly 25 on every channel
    assert calculate_psnr(sr, hr) == pytest.approx(10 * math.log10(255**2 / 25), abs=1e-12)
    # Y channel: the offset becomes (65.481 + 128.553 + 24.966) * 5 / 255 = 219 * 5 / 255 on luma
    expected_y = 10 * math.log10(255**2 / (219 * 5 / 255) ** 2)
    assert calculate_psnr(sr, hr, test_y_channel=True) == pytest.approx(expected_y, abs=1e-5)


def test_crop_border_ignores_the_border() -> None:
    hr = _hr_u8()
    sr = (hr.astype(np.int32) + 3).astype(np.uint8)
    sr[:4] = 0
    sr[:, -4:] = 255  # large errors only inside the 4-pixel border
    assert calculate_psnr(sr, hr, crop_border=4) == pytest.approx(10 * math.log10(255**2 / 9), abs=1e-12)
    assert calculate_psnr(sr, hr, crop_border=0) < 25


def test_float_input_is_rounded_to_8_bit_levels() -> None:
    hr = _hr_u8()
    sr = (hr.astype(np.int32) + 5).astype(np.uint8)
    jitter = np.random.default_rng(1).uniform(-0.4, 0.4, hr.shape) / 255.0  # below half a level
    assert calculate_psnr(sr / 255.0 + jitter, hr / 255.0) == calculate_psnr(sr, hr)
    assert calculate_ssim(sr / 255.0 + jitter, hr / 255.0) == calculate_ssim(sr, hr)


def test_identical_images_give_inf_psnr_and_unit_ssim() -> None:
    hr = _hr_u8() / 255.0
    assert calculate_psnr(hr, hr) == float("inf")
    assert calculate_psnr(hr, hr, crop_border=2, test_y_channel=True) == float("inf")
    assert calculate_ssim(hr, hr) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("crop_border", [0, 4])
@pytest.mark.parametrize("test_y", [False, True])
def test_psnr_matches_direct_computation(crop_border: int, test_y: bool) -> None:
    hr = _hr_u8()
    sr = _noisy(hr, 0.05)
    a, b = np.round(sr * 255), hr.astype(np.float64)
    if test_y:
        a, b = _y_float64(a.astype(np.uint8))[..., None], _y_float64(hr)[..., None]
    if crop_border:
        a, b = a[crop_border:-crop_border, crop_border:-crop_border], b[crop_border:-crop_border, crop_border:-crop_border]
    expected = 10 * np.log10(255**2 / np.mean((a - b) ** 2))
    assert calculate_psnr(sr, hr, crop_border, test_y) == pytest.approx(expected, abs=1e-4 if test_y else 1e-12)


@pytest.mark.parametrize("crop_border", [0, 4])
@pytest.mark.parametrize("test_y", [False, True])
def test_ssim_matches_definition_and_skimage(crop_border: int, test_y: bool) -> None:
    hr = _hr_u8()
    sr_u8 = np.round(_noisy(hr, 0.08) * 255).astype(np.uint8)
    c = slice(crop_border, -crop_border) if crop_border else slice(None)
    if test_y:
        planes_sr, planes_hr = [_y_float64(sr_u8)[c, c]], [_y_float64(hr)[c, c]]
    else:
        planes_sr = [sr_u8[c, c, i].astype(np.float64) for i in range(3)]
        planes_hr = [hr[c, c, i].astype(np.float64) for i in range(3)]
    by_definition = np.mean([_ssim_definition(a, b) for a, b in zip(planes_sr, planes_hr)])
    by_skimage = np.mean([
        skimage.metrics.structural_similarity(
            a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
        )
        for a, b in zip(planes_sr, planes_hr)
    ])
    ours = calculate_ssim(sr_u8, hr, crop_border, test_y)
    assert by_definition == pytest.approx(by_skimage, abs=1e-9)
    assert ours == pytest.approx(by_definition, abs=1e-6 if test_y else 1e-9)
    assert 0.2 < ours < 0.99


def test_metric_objects_through_the_registry() -> None:
    host = load_plugins()
    registry = host.registries["metrics"]
    assert {"psnr", "ssim", "lpips", "fid"} <= set(registry.names())
    params = from_dict(PsnrSsimParams, {"crop_border": 4, "test_y_channel": True})
    psnr = registry.build(ComponentSpec("metrics", "psnr", params))
    ssim = registry.build(ComponentSpec("metrics", "ssim", params))
    assert isinstance(psnr, Psnr) and isinstance(ssim, Ssim)
    assert (psnr.name, psnr.higher_is_better, ssim.name) == ("psnr_y", True, "ssim_y")
    hr = _hr_u8()
    sr = _noisy(hr, 0.03)
    assert psnr(sr, hr / 255.0) == calculate_psnr(sr, hr, 4, True)
    with pytest.raises(ConfigError) as err:
        from_dict(PsnrSsimParams, {"crop_border": -1}, path="val.metrics[0]")
    assert "crop_border" in str(err.value)
