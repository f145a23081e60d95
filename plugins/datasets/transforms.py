"""Per-item randomness, flips, reflect-101 padding and (paired) random crops on HWC numpy images.

Every random choice comes from a ``torch.Generator`` made by :func:`item_generator` from
``(seed, epoch, index)``, so an item's crop and flips do not depend on the worker that loads it.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

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


def pad_to(img: np.ndarray, size: int) -> np.ndarray:
    """Pad bottom and right with reflect-101 (cv2 BORDER_REFLECT_101) up to ``size`` x ``size``."""
    h, w = img.shape[:2]
    ph, pw = max(size - h, 0), max(size - w, 0)
    if ph == 0 and pw == 0:
        return img
    out = cv2.copyMakeBorder(np.ascontiguousarray(img), 0, ph, 0, pw, cv2.BORDER_REFLECT_101)
    return out.reshape(h + ph, w + pw, img.shape[2])


def random_crop(img: np.ndarray, size: int, g: torch.Generator) -> np.ndarray:
    """A ``size`` x ``size`` crop at offsets uniform in [0, h-size] x [0, w-size] (a view)."""
    h, w = img.shape[:2]
    top, left = randint(g, 0, h - size), randint(g, 0, w - size)
    return img[top : top + size, left : left + size]


def crop_pad_augment(img: np.ndarray, size: int | None, use_hflip: bool, use_rot: bool, g: torch.Generator) -> np.ndarray:
    """Reference order (RealESRGANDataset): flips, then pad to ``size``, then random crop to ``size``.

    ``size=None`` keeps the whole (flipped) image. Returns a contiguous HWC array.
    """
    img = apply_flips(img, draw_flips(g, use_hflip, use_rot))
    if size is not None:
        img = random_crop(pad_to(img, size), size, g)
    return np.ascontiguousarray(img)


def paired_random_crop(
    gt: np.ndarray, lq: np.ndarray, gt_size: int, scale: int, g: torch.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Crop ``gt_size//scale`` from ``lq`` and the matching ``gt_size`` region from ``gt`` (views).

    The caller checks that ``lq`` is at least ``gt_size//scale`` on each side.
    """
    lq_size = gt_size // scale
    h, w = lq.shape[:2]
    top, left = randint(g, 0, h - lq_size), randint(g, 0, w - lq_size)
    lq_patch = lq[top : top + lq_size, left : left + lq_size]
    gt_patch = gt[top * scale : top * scale + gt_size, left * scale : left * scale + gt_size]
    return gt_patch, lq_patch


def to_chw(img: np.ndarray) -> torch.Tensor:
    """HWC RGB float32 [0,1] numpy -> CHW float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32))
