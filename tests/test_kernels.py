"""Blur kernels and filters against their closed forms and independent implementations."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import scipy.ndimage
import scipy.special
import torch
import torch.nn.functional as F

from esrgan_core.degradation.filtering import (
    filter2d,
    gaussian_taps,
    separable_filter,
    usm_sharpen,
)
from esrgan_core.padding import reflect_pad
from esrgan_plugins.degradations.kernels import (
    FAMILIES,
    mixed_kernels,
    sinc_kernels,
)


def t(*v: float) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64)


def _family(name: str, sx: float, sy: float, theta: float, size: int, beta: float = 1.0) -> torch.Tensor:
    """One kernel of family ``name`` on a size x size grid, windowed to the whole grid (production path)."""
    return mixed_kernels(torch.tensor([FAMILIES.index(name)]), t(sx), t(sy), t(theta), t(beta), torch.tensor([size]), size)


def _numpy_quadratic(sx: float, sy: float, theta: float, size: int) -> np.ndarray:
    """q = x^T Sigma^-1 x from the covariance matrix itself (independent of the torch code)."""
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    inv = np.linalg.inv(rot @ np.diag([sx**2, sy**2]) @ rot.T)
    ax = np.arange(-(size // 2), size // 2 + 1)
    q = np.zeros((size, size))
    for r, y in enumerate(ax):
        for c, x in enumerate(ax):
            v = np.array([x, y])
            q[r, c] = v @ inv @ v
    return q


def test_every_family_sums_to_one_and_is_centrally_symmetric():
    n = len(FAMILIES)
    fam = torch.arange(n)
    k = mixed_kernels(fam, t(*[2.0] * n), t(*[0.8] * n), t(*[0.6] * n), t(*[1.7] * n), torch.full((n,), 15), 21)
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(n, dtype=torch.float64))
    assert torch.allclose(k, torch.flip(k, dims=(1, 2)))


def test_gaussian_second_moments_match_sigma_and_rotation():
    sx, sy, theta = 2.5, 1.2, 0.7
    k = _family("aniso", sx, sy, theta, 41)[0].numpy()
    ax = np.arange(-20, 21)
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    moments = np.array([[(k * xx * xx).sum(), (k * xx * yy).sum()], [(k * yy * xx).sum(), (k * yy * yy).sum()]])
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    sigma = rot @ np.diag([sx**2, sy**2]) @ rot.T
    np.testing.assert_allclose(moments, sigma, atol=1e-6)


def test_isotropic_gaussian_has_diagonal_covariance():
    k = _family("iso", 1.5, 1.5, 0.0, 31)[0].numpy()
    ax = np.arange(-15, 16)
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    assert (k * xx * xx).sum() == pytest.approx(2.25, abs=1e-6)
    assert (k * xx * yy).sum() == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.7])
def test_generalized_and_plateau_shapes_match_formula(beta):
    sx, sy, theta, size = 2.0, 0.9, -1.1, 21
    q = _numpy_quadratic(sx, sy, theta, size)
    gen = np.exp(-0.5 * q**beta)
    plat = 1.0 / (1.0 + q**beta)
    got_g = _family("generalized_aniso", sx, sy, theta, size, beta)[0].numpy()
    got_p = _family("plateau_aniso", sx, sy, theta, size, beta)[0].numpy()
    np.testing.assert_allclose(got_g, gen / gen.sum(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(got_p, plat / plat.sum(), rtol=1e-9, atol=1e-15)


def test_sinc_matches_bessel_formula_and_centre_value():
    wc, size = 2.1, 21
    raw = sinc_kernels(t(wc), size, normalize=False)[0].numpy()
    assert raw[10, 10] == pytest.approx(wc**2 / (4 * math.pi), rel=1e-12)
    ax = np.arange(-10, 11)
    yy, xx = np.meshgrid(ax, ax, indexing="ij")
    r = np.hypot(xx, yy)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = wc * scipy.special.j1(wc * r) / (2 * math.pi * r)
    want[10, 10] = wc**2 / (4 * math.pi)
    np.testing.assert_allclose(raw, want, rtol=1e-6, atol=1e-8)  # torch J1 is accurate to ~1e-7
    k = sinc_kernels(t(wc), size)[0]
    assert float(k.sum()) == pytest.approx(1.0)


def test_small_kernel_is_zero_padded_to_the_grid():
    small = sinc_kernels(t(1.3), 7)[0]
    padded = sinc_kernels(t(1.3), 21, torch.tensor([7]))[0]
    assert torch.allclose(padded[7:14, 7:14], small)
    padded[7:14, 7:14] = 0
    assert float(padded.abs().sum()) == 0.0


def test_filter2d_conv_and_fft_match_scipy_mirror_correlation():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 37, 29, generator=g)
    k = torch.rand(2, 9, 9, generator=g, dtype=torch.float64)
    k = k / k.sum(dim=(1, 2), keepdim=True)
    conv = filter2d(x, k, method="conv")
    fft = filter2d(x, k, method="fft")
    for i in range(2):
        for c in range(3):
            want = scipy.ndimage.correlate(x[i, c].double().numpy(), k[i].numpy(), mode="mirror")
            np.testing.assert_allclose(conv[i, c].numpy(), want, atol=1e-5)
            np.testing.assert_allclose(fft[i, c].numpy(), want, atol=1e-5)


def test_reflect_pad_handles_pads_larger_than_the_image():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    np.testing.assert_array_equal(reflect_pad(x, 2).numpy(), F.pad(x, (2, 2, 2, 2), mode="reflect").numpy())
    np.testing.assert_array_equal(reflect_pad(x, 7)[0, 0].numpy(), np.pad(x[0, 0].numpy(), 7, mode="reflect"))


def test_usm_taps_equal_opencv_and_separable_equals_direct():
    np.testing.assert_allclose(gaussian_taps(51).numpy(), cv2.getGaussianKernel(51, 0)[:, 0], atol=1e-7)
    x = torch.rand(2, 3, 60, 70, generator=torch.Generator().manual_seed(1))
    taps = gaussian_taps(51)
    direct = filter2d(x, torch.outer(taps, taps).unsqueeze(0), method="conv")
    assert torch.allclose(separable_filter(x, taps), direct, atol=1e-5)
    # The USM mask thresholds |residual|; a rounding-level difference can flip a pixel on the threshold,
    # so the sharpened outputs are compared on average.
    diff = (usm_sharpen(x, separable=True) - usm_sharpen(x, separable=False)).abs()
    assert float(diff.mean()) < 1e-6
