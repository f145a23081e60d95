"""Crops, the one place for them: random offsets, the paired random crop (Real-ESRGAN's
``paired_random_crop``) on NCHW tensors and on HWC numpy images, and the pad-then-crop of an HR
image (``RealESRGANDataset``'s ``crop_pad_size``).

Positions have one definition: :func:`draw_offsets` draws every (top, left) from an explicit
``torch.Generator`` (all tops, then all lefts; ``floor(U * (room + 1))`` with U float64 in [0, 1)),
and :func:`gt_window` puts the GT patch of a paired crop at ``scale`` times the LR offset.
"""

from __future__ import annotations

import numpy as np
import torch

from esrgan_core.degradation import sampling as S
from esrgan_core.errors import DataError
from esrgan_core.padding import reflect_pad_hwc


def draw_offsets(g: torch.Generator, n: int, room_h: int, room_w: int, *,
                 per_batch: bool = False) -> tuple[list[int], list[int]]:
    """``n`` tops uniform in [0, room_h] and then ``n`` lefts in [0, room_w] (both inclusive);
    ``per_batch``: one (top, left) repeated ``n`` times."""
    tops = torch.floor(S.rand(g, n, per_batch=per_batch) * (room_h + 1)).long().tolist()
    lefts = torch.floor(S.rand(g, n, per_batch=per_batch) * (room_w + 1)).long().tolist()
    return tops, lefts


def gt_window(top: int, left: int, lq_h: int, lq_w: int, scale: int) -> tuple[slice, slice]:
    """Rows and columns of the GT region that matches the LR window at (top, left) of ``lq_h`` x ``lq_w``."""
    return slice(top * scale, (top + lq_h) * scale), slice(left * scale, (left + lq_w) * scale)


def paired_offsets(g: torch.Generator, n: int, lq_hw: tuple[int, int], gt_hw: tuple[int, int], gt_size: int,
                   scale: int, *, per_batch: bool = False, what: str = "crop") -> tuple[int, list[int], list[int]]:
    """``(LR patch side, tops, lefts)`` of a paired random crop; a DataError naming ``what`` when the GT is
    not ``scale`` x the LR or the LR is smaller than the patch (``gt_size // scale``)."""
    (lh, lw), (gh, gw) = lq_hw, gt_hw
    if (gh, gw) != (lh * scale, lw * scale):
        raise DataError(f"{what}: GT {gh}x{gw} is not {scale} x LR {lh}x{lw}")
    patch = gt_size // scale
    if patch > lh or patch > lw:
        raise DataError(f"{what}: LR {lh}x{lw} is smaller than the patch {patch} (gt_size {gt_size} / scale {scale})")
    tops, lefts = draw_offsets(g, n, lh - patch, lw - patch, per_batch=per_batch)
    return patch, tops, lefts


def _crop(x: torch.Tensor, windows: list[tuple[slice, slice]]) -> torch.Tensor:
    return torch.stack([x[i, :, rows, cols] for i, (rows, cols) in enumerate(windows)])


def crop_pair(lq: torch.Tensor, gts: list[torch.Tensor], gt_size: int, scale: int, generator: torch.Generator, *,
              per_batch: bool = False, what: str = "crop") -> tuple[torch.Tensor, list[torch.Tensor], list[int], list[int]]:
    """The paired random crop of NCHW tensors, used by the ``random_crop`` stage and the training pair:
    an LR patch of ``gt_size // scale`` per sample (one offset for the batch with ``per_batch``) and
    the GT patches (every tensor of ``gts``) at ``scale`` times its offset. Returns the crops and the LR offsets."""
    patch, tops, lefts = paired_offsets(generator, lq.shape[0], tuple(lq.shape[-2:]), tuple(gts[0].shape[-2:]),
                                        gt_size, scale, per_batch=per_batch, what=what)
    lq_win = [gt_window(t, x, patch, patch, 1) for t, x in zip(tops, lefts)]
    gt_win = [gt_window(t, x, patch, patch, scale) for t, x in zip(tops, lefts)]
    return _crop(lq, lq_win), [_crop(g, gt_win) for g in gts], tops, lefts


def crop_pair_hwc(gt: np.ndarray, lq: np.ndarray, gt_size: int, scale: int, generator: torch.Generator, *,
                  what: str = "crop") -> tuple[np.ndarray, np.ndarray]:
    """:func:`crop_pair` of one HWC numpy pair (the same draws as a batch of one); returns ``(gt, lq)`` views."""
    patch, (top,), (left,) = paired_offsets(generator, 1, lq.shape[:2], gt.shape[:2], gt_size, scale, what=what)
    lr, lc = gt_window(top, left, patch, patch, 1)
    gr, gc = gt_window(top, left, patch, patch, scale)
    return gt[gr, gc], lq[lr, lc]


def pad_crop_hwc(img: np.ndarray, size: int, generator: torch.Generator) -> tuple[np.ndarray, tuple[int, int]]:
    """``RealESRGANDataset``'s crop of an HWC image: reflect-101 pad at the bottom/right up to ``size``, then
    a ``size`` x ``size`` crop at a random offset. Returns the crop (a view) and its (top, left)."""
    img = reflect_pad_hwc(img, size, size)
    (top,), (left,) = draw_offsets(generator, 1, img.shape[0] - size, img.shape[1] - size)
    return img[top:top + size, left:left + size], (top, left)
