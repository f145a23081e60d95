"""Pixel losses between the generator output ``sr`` and a target (``gt`` or ``gt_usm``).

Reference (BasicSR L1Loss / MSELoss / CharbonnierLoss): ``weight * reduce(f(sr - target))`` with
f = |d|, d^2 or sqrt(d^2 + eps) and the mean taken over all N*C*H*W elements.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch

from esrgan_core.schema import param
from esrgan_plugins.losses.base import TargetLoss, reduce


@attrs.frozen
class PixelLossParams:
    """Options shared by ``l1``, ``mse`` and ``charbonnier``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    reduction: Literal["mean", "sum"] = param("mean", help="mean or sum over all N*C*H*W elements")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")
    name: str | None = param(None, help="name of the logged term (default l_g_pix, l_g_mse, l_g_charbonnier)")


@attrs.frozen
class CharbonnierLossParams(PixelLossParams):
    """Options of ``charbonnier``."""

    eps: float = param(1e-12, gt=0, help="added to d^2 inside the square root")


class PixelLoss(TargetLoss):
    """Base of the pixel losses: ``loss(sr=..., gt=...|gt_usm=...) -> {name: weighted scalar}``."""

    default_name = "l_g_pix"

    def __init__(self, params: PixelLossParams) -> None:
        super().__init__(params)
        self.term = params.name or self.default_name

    def elementwise(self, diff: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {self.term: self.params.weight * reduce(self.elementwise(sr - target), self.params.reduction)}


class L1Loss(PixelLoss):
    """``weight * reduce(|sr - target|)``."""

    def elementwise(self, diff: torch.Tensor) -> torch.Tensor:
        return diff.abs()


class MSELoss(PixelLoss):
    """``weight * reduce((sr - target)^2)``."""

    default_name = "l_g_mse"

    def elementwise(self, diff: torch.Tensor) -> torch.Tensor:
        return diff.square()


class CharbonnierLoss(PixelLoss):
    """``weight * reduce(sqrt((sr - target)^2 + eps))``, eps 1e-12 as in the reference."""

    default_name = "l_g_charbonnier"
    params: CharbonnierLossParams

    def elementwise(self, diff: torch.Tensor) -> torch.Tensor:
        return torch.sqrt(diff.square() + self.params.eps)
