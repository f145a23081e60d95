"""The paired random crop (Real-ESRGAN's ``paired_random_crop``): the one crop of an LR/GT pair, used by the
``random_crop`` stage and by the training-pair step."""

from __future__ import annotations

import torch

from esrgan_core.degradation import sampling as S
from esrgan_core.errors import DataError


def _crop(x: torch.Tensor, tops: list[int], lefts: list[int], size: int) -> torch.Tensor:
    return torch.stack([x[i, :, t:t + size, lf:lf + size] for i, (t, lf) in enumerate(zip(tops, lefts))])


def crop_pair(lq: torch.Tensor, gts: list[torch.Tensor], gt_size: int, scale: int, generator: torch.Generator, *,
              per_batch: bool = False, what: str = "crop") -> tuple[torch.Tensor, list[torch.Tensor], list[int], list[int]]:
    """The paired random crop (Real-ESRGAN's ``paired_random_crop``), used by this stage and by the
    training-pair step: an LR patch of ``gt_size // scale`` per sample (one offset for the batch with
    ``per_batch``) and the GT patches (every tensor of ``gts``) at ``scale`` times its offset.
    Returns the crops and the LR offsets."""
    n, (lh, lw), (gh, gw) = lq.shape[0], lq.shape[-2:], gts[0].shape[-2:]
    if (gh, gw) != (lh * scale, lw * scale):
        raise DataError(f"{what}: GT {gh}x{gw} is not {scale} x LR {lh}x{lw}")
    patch = gt_size // scale
    if patch > lh or patch > lw:
        raise DataError(f"{what}: LR {lh}x{lw} is smaller than the patch {patch} (gt_size {gt_size} / scale {scale})")
    tops = torch.floor(S.rand(generator, n, per_batch=per_batch) * (lh - patch + 1)).long().tolist()
    lefts = torch.floor(S.rand(generator, n, per_batch=per_batch) * (lw - patch + 1)).long().tolist()
    g_tops, g_lefts = [t * scale for t in tops], [x * scale for x in lefts]
    return _crop(lq, tops, lefts, patch), [_crop(g, g_tops, g_lefts, patch * scale) for g in gts], tops, lefts
