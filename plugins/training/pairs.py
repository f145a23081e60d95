"""Training pairs inside the training step: degradation pipeline, GT patch crop, pair pool, USM.

On the batch's device, with randomness only from the step's ``torch.Generator``:

1. high-order mode: ``gt`` (RGB float32 [0,1] NCHW from the dataset) goes through the degradation
   pipeline (a preset name or a list of stage specs, built through the ``degradations``
   registry; the recipe's ``usm`` stage decides whether the LQ is made from the sharpened GT);
   paired mode (``high_order_degradation: false``): ``lq`` comes from the dataset;
2. a paired random crop to ``gt_size`` when the pipeline left the GT larger;
3. the pair pool (``queue_size``) exchanges the pair with stored ones (high-order mode only, as
   the reference);
4. the pair augmentations (``augment:``, e.g. cutmix), in order, on lq and gt together;
5. ``gt_usm = USM(gt)`` recomputed on the final crop (reference §1.4.8); with
   ``sharpen_target`` (ESRNet ``gt_usm: true``) the sharpened GT replaces the plain one *before*
   the pool, as RealESRNet stores it.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from esrgan_core.context import RunContext
from esrgan_core.errors import ConfigError, DataError
from esrgan_plugins.degradations.filtering import usm_sharpen
from esrgan_plugins.degradations.pipeline import Pipeline
from esrgan_plugins.degradations.pool import PairPool


def build_pipeline(degradation: Any, scale: int, ctx: RunContext) -> Pipeline:
    """The degradation pipeline of a preset name or of an already validated list of stage specs."""
    if not isinstance(degradation, str):
        return Pipeline(tuple(degradation), ctx.registries)
    from esrgan_plugins.degradations.presets import load_preset

    try:
        preset = load_preset(degradation)
    except ConfigError as exc:
        raise ConfigError(exc.message, path="degradation") from None
    if preset.scale != scale:
        raise ConfigError(f"preset {degradation!r} is for scale {preset.scale}, the run's scale is {scale}",
                          path="degradation")
    return Pipeline.from_dicts(preset.stages, ctx.registries, path="degradation")


def paired_crop(lq: torch.Tensor, gt: torch.Tensor, gt_size: int, scale: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One random (top, left) per sample; the GT patch is ``gt_size``, the LQ patch ``gt_size // scale``."""
    patch = gt_size // scale
    lh, lw = lq.shape[-2:]
    if gt.shape[-2:] != (lh * scale, lw * scale):
        raise DataError(f"GT {tuple(gt.shape[-2:])} is not {scale} x LQ {lh}x{lw}")
    if patch > lh or patch > lw:
        raise DataError(f"LQ {lh}x{lw} is smaller than the patch {patch} (gt_size {gt_size} / scale {scale})")
    if (lh, lw) == (patch, patch):
        return lq, gt
    n = lq.shape[0]
    tops = torch.randint(0, lh - patch + 1, (n,), generator=g, device=g.device).tolist()
    lefts = torch.randint(0, lw - patch + 1, (n,), generator=g, device=g.device).tolist()
    lq = torch.stack([lq[i, :, t:t + patch, x:x + patch] for i, (t, x) in enumerate(zip(tops, lefts))])
    gt = torch.stack([gt[i, :, t * scale:(t + patch) * scale, x * scale:(x + patch) * scale]
                      for i, (t, x) in enumerate(zip(tops, lefts))])
    return lq, gt


class PairMaker:
    """``make(batch, generator) -> {"lq", "gt", "gt_usm"}``; holds the pool (``state_dict``)."""

    def __init__(self, run: Any, ctx: RunContext, *, sharpen_target: bool, need_usm: bool = True) -> None:
        self.scale, self.gt_size = run.scale, run.gt_size
        self.high_order = run.high_order_degradation
        self.sharpen_target = sharpen_target
        self.need_usm = need_usm  # False: nothing reads gt_usm, so it is not computed (it is gt)
        self.pipeline = build_pipeline(run.degradation, run.scale, ctx) if self.high_order else None
        self.pool = PairPool(run.queue_size if self.high_order else 0)
        self.augment = [spec.build(ctx.registries) for spec in run.augment]

    def make(self, batch: Mapping[str, Any], generator: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
        gt = batch["gt"].to(device, non_blocking=True).float()
        if self.pipeline is None:
            if "lq" not in batch:
                raise DataError("high_order_degradation is false but the training dataset gives no 'lq' images")
            lq = batch["lq"].to(device, non_blocking=True).float()
            lq, gt = paired_crop(lq, gt, self.gt_size, self.scale, generator)
            lq, gt = self._augment(lq, gt, generator)
            usm = self._usm(gt)
            return {"lq": lq, "gt": usm if self.sharpen_target else gt, "gt_usm": usm}
        with torch.no_grad():
            out = self.pipeline(gt, generator, self.scale)
            target = out.gt_usm if self.sharpen_target and out.gt_usm is not None else out.gt
            if self.sharpen_target and out.gt_usm is None:
                target = usm_sharpen(out.gt)
            lq, target = paired_crop(out.lq, target, self.gt_size, self.scale, generator)
            pair = self.pool.exchange({"lq": lq, "gt": target}, generator)
            pair["lq"], pair["gt"] = self._augment(pair["lq"], pair["gt"], generator)
            usm = pair["gt"] if self.sharpen_target else self._usm(pair["gt"])
        return {"lq": pair["lq"].contiguous(), "gt": pair["gt"], "gt_usm": usm}

    def _augment(self, lq: torch.Tensor, gt: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        pair = {"lq": lq, "gt": gt}
        for aug in self.augment:
            pair = aug(pair, generator)
        return pair["lq"], pair["gt"]

    def _usm(self, gt: torch.Tensor) -> torch.Tensor:
        return usm_sharpen(gt) if self.need_usm or self.sharpen_target else gt

    def state_dict(self) -> dict[str, Any]:
        return self.pool.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.pool.load_state_dict(state)
