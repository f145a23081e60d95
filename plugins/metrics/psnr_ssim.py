"""PSNR and SSIM exactly as BasicSR computes them (``basicsr/metrics/psnr_ssim.py``).

Inputs: HWC RGB images, float [0,1] or uint8/uint16 (see :mod:`esrgan_plugins.metrics.base`);
both are first rounded to 8-bit levels. Then, in this order:

1. ``crop_border`` pixels are removed from every edge;
2. with ``test_y_channel``, the image becomes MATLAB's BT.601 luma on the [0,1] values,
   ``Y = 16 + (65.481 R + 128.553 G + 24.966 B)`` (range [16, 235], float32, **not** rounded),
   computed with BasicSR's float32/float64 steps;
3. values become float64 on the [0, 255] scale.

PSNR = 10 log10(255^2 / MSE), ``float('inf')`` for identical images. SSIM is the MATLAB-compatible
one: per channel, an 11x11 Gaussian window (sigma 1.5) applied with ``cv2.filter2D`` and cropped
to the valid part, C1 = (0.01*255)^2, C2 = (0.03*255)^2, averaged over pixels then channels.
"""

from __future__ import annotations

from typing import Callable

import attrs
import cv2
import numpy as np

from esrgan_core.schema import param
from esrgan_plugins.metrics.base import check_pair, to_u8_levels

C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2


def y_channel(u8: np.ndarray) -> np.ndarray:
    """HxWx3 RGB uint8 -> HxWx1 float32 BT.601 Y in [16, 235] (BasicSR ``to_y_channel``, unrounded)."""
    img = u8.astype(np.float32) / 255.0
    y = np.dot(img[..., ::-1], [24.966, 128.553, 65.481]) + 16.0  # BGR order, as BasicSR sums it
    y = (y / 255.0).astype(np.float32)
    return y[..., None] * np.float32(255.0)


def prepare(img: np.ndarray, crop_border: int, test_y_channel: bool) -> np.ndarray:
    """8-bit levels, border crop, optional Y, as HxWxC float64 on the [0, 255] scale."""
    a = to_u8_levels(img)
    if a.ndim == 2:
        a = a[..., None]
    if crop_border:
        a = a[crop_border:-crop_border, crop_border:-crop_border, ...]
    if test_y_channel and a.shape[2] == 3:
        return y_channel(a).astype(np.float64)
    return a.astype(np.float64)


def calculate_psnr(sr: np.ndarray, hr: np.ndarray, crop_border: int = 0, test_y_channel: bool = False) -> float:
    """PSNR in dB of HWC RGB images (float [0,1] or uint8); ``inf`` when they are identical."""
    check_pair(sr, hr)
    a, b = prepare(sr, crop_border, test_y_channel), prepare(hr, crop_border, test_y_channel)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(255.0 * 255.0 / mse))


def ssim_window() -> np.ndarray:
    """The 11x11 float64 Gaussian window (sigma 1.5), outer product of cv2.getGaussianKernel."""
    k = cv2.getGaussianKernel(11, 1.5)
    return np.outer(k, k.transpose())


def ssim_map(a: np.ndarray, b: np.ndarray, blur: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The SSIM map of ``a`` and ``b`` given a local-mean ``blur``."""
    mu1, mu2 = blur(a), blur(b)
    mu1_sq, mu2_sq, mu12 = mu1**2, mu2**2, mu1 * mu2
    s1 = blur(a * a) - mu1_sq
    s2 = blur(b * b) - mu2_sq
    s12 = blur(a * b) - mu12
    return ((2 * mu12 + C1) * (2 * s12 + C2)) / ((mu1_sq + mu2_sq + C1) * (s1 + s2 + C2))


_WINDOW = ssim_window()  # built once; cv2.filter2D only reads it


def _blur(x: np.ndarray) -> np.ndarray:
    return cv2.filter2D(x, -1, _WINDOW)[5:-5, 5:-5]


def _ssim_plane(a: np.ndarray, b: np.ndarray) -> float:
    return float(ssim_map(a, b, _blur).mean())


def calculate_ssim(sr: np.ndarray, hr: np.ndarray, crop_border: int = 0, test_y_channel: bool = False) -> float:
    """MATLAB-compatible SSIM of HWC RGB images (float [0,1] or uint8), mean over channels."""
    check_pair(sr, hr)
    a, b = prepare(sr, crop_border, test_y_channel), prepare(hr, crop_border, test_y_channel)
    if min(a.shape[:2]) < 11:
        raise ValueError(f"SSIM needs at least 11x11 pixels after the border crop, got {a.shape[:2]}")
    return float(np.mean([_ssim_plane(a[..., c], b[..., c]) for c in range(a.shape[2])]))


@attrs.frozen
class PsnrSsimParams:
    """Options shared by ``psnr`` and ``ssim``."""

    crop_border: int = param(0, ge=0, help="pixels removed from every edge before measuring (usually the scale)")
    test_y_channel: bool = param(False, help="measure on the BT.601 Y channel (MATLAB rgb2ycbcr) instead of RGB")


class _PairMetric:
    higher_is_better = True
    per_image = True
    _base = ""

    def __init__(self, params: PsnrSsimParams | None = None) -> None:
        self.params = params or PsnrSsimParams()
        self.name = self._base + ("_y" if self.params.test_y_channel else "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"


class Psnr(_PairMetric):
    """PSNR (dB) of HWC RGB images, float [0,1] or uint8; see :func:`calculate_psnr`."""

    _base = "psnr"

    def __call__(self, sr: np.ndarray, hr: np.ndarray) -> float:
        return calculate_psnr(sr, hr, self.params.crop_border, self.params.test_y_channel)


class Ssim(_PairMetric):
    """SSIM of HWC RGB images, float [0,1] or uint8; see :func:`calculate_ssim`."""

    _base = "ssim"

    def __call__(self, sr: np.ndarray, hr: np.ndarray) -> float:
        return calculate_ssim(sr, hr, self.params.crop_border, self.params.test_y_channel)
