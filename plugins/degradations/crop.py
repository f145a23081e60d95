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


class RandomCropStage:
    def __init__(self, params: RandomCropParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, s, n = self.params, batch.scale, len(batch)
        lh, lw = batch.lq.shape[-2:]
        gh, gw = batch.gt.shape[-2:]
        if (gh, gw) != (lh * s, lw * s):
            raise DataError(f"random_crop: GT {gh}x{gw} is not {s} x LR {lh}x{lw}")
        patch = p.gt_size // s
        if patch > lh or patch > lw:
            raise DataError(f"random_crop: LR {lh}x{lw} is smaller than the patch {patch} (gt_size {p.gt_size} / scale {s})")
        tops = torch.floor(S.rand(generator, n, per_batch=p.per_batch) * (lh - patch + 1)).long().tolist()
        lefts = torch.floor(S.rand(generator, n, per_batch=p.per_batch) * (lw - patch + 1)).long().tolist()
        batch.lq = _crop(batch.lq, tops, lefts, patch)
        g_tops, g_lefts = [t * s for t in tops], [x * s for x in lefts]
        batch.gt = _crop(batch.gt, g_tops, g_lefts, patch * s)
        if batch.gt_usm is not None:
            batch.gt_usm = _crop(batch.gt_usm, g_tops, g_lefts, patch * s)
        batch.ori_size = (patch * s, patch * s)
        batch.note(p.name or "crop", [{"top": t, "left": x} for t, x in zip(tops, lefts)])
        return batch
