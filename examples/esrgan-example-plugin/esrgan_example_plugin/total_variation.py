"""A loss: anisotropic total variation of the generator output (it consumes only ``sr``)."""

from __future__ import annotations

import attrs
import torch
from torch import nn

from esrgan_core.schema import param


@attrs.frozen
class TotalVariationParams:
    """Options of ``total_variation``."""

    weight: float = param(1e-4, ge=0, help="multiplier; 0 switches the loss off")


class TotalVariation(nn.Module):
    """``weight * (mean|dx| + mean|dy|)`` of ``sr`` (RGB float NCHW)."""

    inputs = ("sr",)
    adversarial = False

    def __init__(self, params: TotalVariationParams) -> None:
        super().__init__()
        self.weight = params.weight

    def forward(self, **tensors: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.weight == 0:
            return {}
        sr = tensors["sr"]
        tv = (sr[..., :, 1:] - sr[..., :, :-1]).abs().mean() + (sr[..., 1:, :] - sr[..., :-1, :]).abs().mean()
        return {"l_g_tv": self.weight * tv}
