"""Stage ``random_crop``: a paired random crop of ``lq``, ``gt`` and ``gt_usm`` (Real-ESRGAN's paired_random_crop).

The LR patch is gt_size // scale; the GT patch starts at scale times the LR offset. By default
each sample gets its own offset; ``per_batch: true`` uses one offset for the batch (reference).
"""

from __future__ import annotations

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation.crop import crop_pair
from esrgan_core.schema import param


@attrs.frozen
class RandomCropParams:
    name: str = param("", help="key for the drawn values in the record (default: crop)")
    gt_size: int = param(256, ge=1, help="side of the GT patch; the LR patch is gt_size // scale")
    per_batch: bool = param(False, help="one crop offset for the whole batch (reference behaviour)")


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
