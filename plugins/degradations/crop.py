"""Stage ``random_crop``: a paired random crop of ``lq``, ``gt`` and ``gt_usm`` (Real-ESRGAN's paired_random_crop).

The LR patch is gt_size // scale; the GT patch starts at scale times the LR offset. By default
each sample gets its own offset; ``per_batch: true`` uses one offset for the batch (reference).
"""

from __future__ import annotations

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.errors import DataError
from esrgan_core.schema import param
from esrgan_plugins.degradations import sampling as S


@attrs.frozen
class RandomCropParams:
    name: str = param("", help="key for the drawn values in the record (default: crop)")
    gt_size: int = param(256, ge=1, help="side of the GT patch; the LR patch is gt_size // scale")
    per_batch: bool = param(False, help="one crop offset for the whole batch (reference behaviour)")


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


class RandomCropStage:
    def __init__(self, params: RandomCropParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, s = self.params, batch.scale
        gts = [batch.gt] + ([batch.gt_usm] if batch.gt_usm is not None else [])
        batch.lq, gts, tops, lefts = crop_pair(batch.lq, gts, p.gt_size, s, generator, per_batch=p.per_batch,
                                               what="random_crop")
        batch.gt = gts[0]
        if batch.gt_usm is not None:
            batch.gt_usm = gts[1]
        patch = p.gt_size // s
        batch.ori_size = (patch * s, patch * s)
        batch.note(p.name or "crop", [{"top": t, "left": x} for t, x in zip(tops, lefts)])
        return batch
