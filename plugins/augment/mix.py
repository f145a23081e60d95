"""Pair augmentations of the MoA family (Yoo et al., "Rethinking Data Augmentation for Image
Super-resolution", CVPR 2020): ``mixup``, ``cutmix``, ``resizemix``, ``cutblur``.

Each is called as ``aug(pair, generator) -> pair`` on ``{"lq": N x C x h x w, "gt": N x C x sh x sw}``
(RGB float [0,1], any device, ``s`` the integer scale), after the pair pool. Boxes are drawn on the
LR grid; the GT box is exactly ``s`` times the LR box, so lq and gt stay geometrically consistent.
Mixing partners are another sample of the same batch (a random permutation). The input tensors are
never written to; the returned ones are new.
"""

from __future__ import annotations

from typing import Mapping

import attrs
import torch

from esrgan_core.schema import param
from esrgan_plugins.augment.base import Pair, PairAugmentation, beta, lr_box, normal, permutation, resize, uniform


@attrs.frozen
class MixupParams:
    """Options of ``mixup``."""

    prob: float = param(1.0, ge=0, le=1, help="probability that a batch is augmented")
    alpha: float = param(1.2, gt=0, help="v ~ Beta(alpha, alpha) (1.2 as in the MoA paper)")


@attrs.frozen
class CutmixParams:
    """Options of ``cutmix`` and ``cutblur``: the box side is ``alpha + 0.01 N(0,1)`` of the image side."""

    prob: float = param(1.0, ge=0, le=1, help="probability that a batch is augmented")
    alpha: float = param(0.7, gt=0, le=1, help="box side as a fraction of the image side (0.7 as in the MoA paper)")


@attrs.frozen
class ResizemixParams:
    """Options of ``resizemix`` (Qin et al. 2020): tau ~ U(scope) is the pasted image's size ratio."""

    prob: float = param(1.0, ge=0, le=1, help="probability that a batch is augmented")
    scope: tuple[float, float] = param((0.1, 0.8), gt=0, le=1, help="range of tau (ResizeMix paper: 0.1..0.8)")

    def validate(self) -> None:
        from esrgan_core.errors import ParamError

        if self.scope[0] > self.scope[1]:
            raise ParamError("scope", f"must be [low, high] with low <= high, got {list(self.scope)}")


class Mixup(PairAugmentation):
    """``lq' = v lq + (1-v) lq[perm]``, ``gt' = v gt + (1-v) gt[perm]``, one v ~ Beta(alpha, alpha) per batch."""

    def apply(self, pair: Mapping[str, torch.Tensor], g: torch.Generator, s: int) -> Pair:
        v = beta(g, self.params.alpha, self.params.alpha)
        perm = permutation(g, pair["lq"].shape[0])
        return {k: v * t + (1 - v) * t[perm] for k, t in pair.items()}


class Cutmix(PairAugmentation):
    """Copy one LR box of another sample (same place) into lq, and the s x larger box into gt."""

    def apply(self, pair: Mapping[str, torch.Tensor], g: torch.Generator, s: int) -> Pair:
        lq, gt = pair["lq"], pair["gt"]
        y, x, ch, cw = lr_box(g, *lq.shape[-2:], self.params.alpha + 0.01 * normal(g))
        perm = permutation(g, lq.shape[0])
        lq, gt = lq.clone(), gt.clone()
        lq[..., y:y + ch, x:x + cw] = pair["lq"][perm, :, y:y + ch, x:x + cw]
        gt[..., y * s:(y + ch) * s, x * s:(x + cw) * s] = pair["gt"][perm, :, y * s:(y + ch) * s, x * s:(x + cw) * s]
        return {**pair, "lq": lq, "gt": gt}


class Resizemix(PairAugmentation):
    """Paste another sample, resized to tau x the image, at a random LR box (gt: the s x box)."""

    def __init__(self, params: ResizemixParams) -> None:
        params.validate()
        super().__init__(params)

    def apply(self, pair: Mapping[str, torch.Tensor], g: torch.Generator, s: int) -> Pair:
        lq, gt = pair["lq"], pair["gt"]
        y, x, ch, cw = lr_box(g, *lq.shape[-2:], uniform(g, *self.params.scope))
        perm = permutation(g, lq.shape[0])
        lq, gt = lq.clone(), gt.clone()
        lq[..., y:y + ch, x:x + cw] = resize(pair["lq"][perm], (ch, cw))
        gt[..., y * s:(y + ch) * s, x * s:(x + cw) * s] = resize(pair["gt"][perm], (ch * s, cw * s))
        return {**pair, "lq": lq, "gt": gt}


class Cutblur(PairAugmentation):
    """CutBlur on the LR grid: mix lq with ``down(gt)`` (the GT bicubically downscaled to the LR size).

    With probability 1/2 the LR box of lq is replaced by ``down(gt)`` (clean content inside), else
    lq becomes ``down(gt)`` with the box kept from lq (degraded content inside). gt is unchanged.
    At scale 1 ``down(gt) = gt``: exactly the paper's "HR into LR, or the reverse".
    """

    def apply(self, pair: Mapping[str, torch.Tensor], g: torch.Generator, s: int) -> Pair:
        lq = pair["lq"]
        y, x, ch, cw = lr_box(g, *lq.shape[-2:], self.params.alpha + 0.01 * normal(g))
        inside = uniform(g) < 0.5
        clean = resize(pair["gt"], tuple(lq.shape[-2:])).to(lq.dtype)
        base, patch = (lq.clone(), clean) if inside else (clean.clone(), lq)
        base[..., y:y + ch, x:x + cw] = patch[..., y:y + ch, x:x + cw]
        return {**pair, "lq": base}
