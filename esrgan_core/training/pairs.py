"""The training pair: the one place that decides ``lq``, the target ``gt`` and ``gt_usm``.

On the batch's device, with randomness only from the step's ``torch.Generator``:

1. degraded data (``high_order_degradation: true``): ``gt`` (RGB float32 [0,1] NCHW from the
   dataset) goes through the degradation pipeline (the recipe's ``usm`` stage decides whether the
   LQ is made from the sharpened GT); paired data: ``lq`` comes from the dataset;
2. the target: the plain GT, or -- for a trainer asking ``sharpen_target`` (RealESRNet with
   ``gt_usm: true``) on degraded data -- USM of the whole GT, as RealESRNetModel sharpens before
   it crops. Paired data always trains on the plain GT (as the reference's paired ESRNet);
3. a paired random crop to ``gt_size`` when the GT is larger;
4. the pair pool (``queue_size``; degraded data only, as the reference);
5. the pair augmentations (``augment:``, e.g. cutmix), in order, on lq and gt together;
6. ``gt_usm = USM(gt)`` once, on the final pair, only when a consumer asked for it (a loss lists
   it in ``inputs``, or the trainer reads it); with a sharpened target it is the target itself.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from esrgan_core.degradation.crop import crop_pair
from esrgan_core.degradation.filtering import usm_sharpen
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.errors import DataError
from esrgan_core.pairpool import PairPool
from esrgan_core.trainer_api import PairRequest


def paired_crop(lq: torch.Tensor, gt: torch.Tensor, gt_size: int, scale: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The GT patch is ``gt_size``, the LQ patch ``gt_size // scale`` (one random offset per sample);
    a pair already of that size is returned as it is."""
    if tuple(lq.shape[-2:]) == (gt_size // scale,) * 2 and tuple(gt.shape[-2:]) == (gt_size, gt_size):
        return lq, gt
    lq, (gt,), _, _ = crop_pair(lq, [gt], gt_size, scale, g, what="training pair")
    return lq, gt


class PairMaker:
    """``make(batch, generator, device) -> {"lq", "gt"[, "gt_usm"]}``; holds the pool (``state_dict``)."""

    def __init__(self, run: Any, registries: Any, request: PairRequest) -> None:
        self.scale, self.gt_size = run.scale, run.gt_size
        self.degraded = run.high_order_degradation
        self.sharpen_target = request.sharpen_target and self.degraded
        self.want_usm = request.gt_usm
        self.pipeline = Pipeline.from_recipe(run.degradation, registries) if self.degraded else None
        self.pool = PairPool(run.queue_size if self.degraded else 0)
        self.augment = [registries["augmentations"].build_checked(spec) for spec in run.augment]

    def make(self, batch: Mapping[str, Any], generator: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
        gt = batch["gt"].to(device, non_blocking=True).float()
        with torch.no_grad():
            if self.pipeline is None:
                if "lq" not in batch:
                    raise DataError("high_order_degradation is false but the training dataset gives no 'lq' images")
                lq, target = batch["lq"].to(device, non_blocking=True).float(), gt
            else:
                out = self.pipeline(gt, generator, self.scale)
                lq, target = out.lq, out.gt
                if self.sharpen_target:  # the recipe's usm stage may already hold USM(gt): reuse it
                    target = out.gt_usm if out.gt_usm is not None else usm_sharpen(out.gt)
            lq, target = paired_crop(lq, target, self.gt_size, self.scale, generator)
            pair = self.pool.exchange({"lq": lq, "gt": target}, generator)
            for aug in self.augment:  # pair augmentations, in config order: (pair, generator) -> pair
                pair = dict(aug(pair, generator))
            out_pair = {"lq": pair["lq"].contiguous(), "gt": pair["gt"]}
            if self.want_usm:
                out_pair["gt_usm"] = pair["gt"] if self.sharpen_target else usm_sharpen(pair["gt"])
        return out_pair

    def state_dict(self) -> dict[str, Any]:
        return self.pool.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.pool.load_state_dict(state)
