"""Per-item randomness and flips on HWC numpy images; padding and crops are the degradation engine's
(:mod:`esrgan_core.degradation.crop`).

Every random choice comes from a ``torch.Generator`` made by :func:`item_generator` from
``(seed, epoch, index)``, so an item's crop and flips do not depend on the worker that loads it.
"""

from __future__ import annotations

import numpy as np
import torch

from esrgan_core.degradation.crop import pad_crop_hwc
from esrgan_core.seeding import make_generator


def item_generator(seed: int, epoch: int, index: int) -> torch.Generator:
    """A CPU generator seeded from ``(seed, epoch, index)`` (:func:`esrgan_core.seeding.make_generator`)."""
    return make_generator(seed, epoch, index)


def randint(g: torch.Generator, low: int, high: int) -> int:
    """Uniform integer in ``[low, high]`` (both inclusive)."""
    return int(torch.randint(low, high + 1, (1,), generator=g))


def draw_flips(g: torch.Generator, use_hflip: bool, use_rot: bool) -> tuple[bool, bool, bool]:
    """``(hflip, vflip, transpose)``, each with probability 0.5 when enabled (BasicSR ``augment``).

    Three numbers are always drawn, so switching a flag does not shift the crops that follow.
    """
    u = torch.rand(3, generator=g)
    return bool(use_hflip and u[0] < 0.5), bool(use_rot and u[1] < 0.5), bool(use_rot and u[2] < 0.5)


def apply_flips(img: np.ndarray, flips: tuple[bool, bool, bool]) -> np.ndarray:
    """Horizontal flip, vertical flip, then H<->W transpose (rot90 in BasicSR); returns a view."""
    hflip, vflip, transpose = flips
    if hflip:
        img = img[:, ::-1]
    if vflip:
        img = img[::-1]
    if transpose:
        img = img.transpose(1, 0, 2)
    return img


def crop_pad_augment(img: np.ndarray, size: int | None, use_hflip: bool, use_rot: bool, g: torch.Generator) -> np.ndarray:
    """Reference order (RealESRGANDataset): flips, then pad to ``size`` and random crop to ``size``
    (:func:`esrgan_core.degradation.crop.pad_crop_hwc`).

    ``size=None`` keeps the whole (flipped) image. Returns a contiguous HWC array.
    """
    img = apply_flips(img, draw_flips(g, use_hflip, use_rot))
    if size is not None:
        img, _ = pad_crop_hwc(img, size, g)
    return np.ascontiguousarray(img)


def to_chw(img: np.ndarray) -> torch.Tensor:
    """HWC RGB float32 [0,1] numpy -> CHW float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32))
