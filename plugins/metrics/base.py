"""What a metric is, and the one image convention every metric here uses.

Image convention: a metric takes images as **HWC RGB** numpy arrays, either float in [0, 1]
(the usual case: ``esrgan_core.images.read_rgb01``, ``from_tensor01``) or already-quantised
uint8 / uint16. Every metric first brings both images to **8-bit levels** (float [0,1] is
clipped and rounded as ``round(x * 255)``; uint16 as ``round(x / 257)``), exactly like BasicSR's
validation, which scores ``tensor2img`` output (i.e. the PNG that would be written).

- A per-image metric has ``name``, ``higher_is_better`` and ``__call__(sr, hr) -> float``.
- A set-level metric (FID) has ``name``, ``higher_is_better``, ``per_image = False`` and
  ``compute(sr_images, hr_images) -> float`` over two sequences of images.
"""

from __future__ import annotations

import numpy as np


def to_u8_levels(img: np.ndarray) -> np.ndarray:
    """HWC (or HW) image -> uint8 of the same layout: float [0,1] is clipped and rounded (x*255)."""
    a = np.asarray(img)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return np.round(a.astype(np.float64) / 257.0).astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        return np.round(np.clip(a.astype(np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
    raise TypeError(f"expected an image as float [0,1], uint8 or uint16, got dtype {a.dtype}")


def rgb_u8(img: np.ndarray) -> np.ndarray:
    """HWC RGB/RGBA/gray (or HW) image -> HxWx3 RGB uint8 levels (gray repeated, alpha dropped)."""
    a = to_u8_levels(img)
    a = a[..., None] if a.ndim == 2 else a
    return np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a[..., :3]


def check_pair(sr: np.ndarray, hr: np.ndarray) -> None:
    """Raise ValueError unless both are images of the same HWC shape."""
    if np.shape(sr) != np.shape(hr):
        raise ValueError(f"image shapes differ: sr {np.shape(sr)} vs hr {np.shape(hr)}")
    if np.ndim(sr) not in (2, 3):
        raise ValueError(f"expected an HWC (or HW) image, got shape {np.shape(sr)}")
