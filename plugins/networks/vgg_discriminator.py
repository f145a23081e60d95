"""VGG-style discriminator (ESRGAN / BasicSR ``VGGStyleDiscriminator``), key-compatible at 128x128.

Input: RGB float NCHW of exactly ``input_size`` x ``input_size`` (the GT patch size, ``gt_size``);
output: one real/fake logit per image, (B, 1). Five stages of (3x3 conv, 4x4 stride-2 conv) with
batch norm halve the size to input_size / 32, then two linear layers (100 hidden units). The
reference allows 128 (and 256 with an extra stage); here any multiple of 32 works with the 128 layout.
"""

from __future__ import annotations

from typing import Any

import attrs
import torch
from torch import nn

from esrgan_core.errors import ParamError
from esrgan_core.schema import param

WIDTHS = (1, 2, 4, 8, 8)  # channel multiples of the five stages


@attrs.frozen
class VGGDiscriminatorParams:
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_feat: int = param(64, ge=1, help="channels of the first stage")
    input_size: int = param(128, ge=32, help="input height and width (must equal gt_size)")

    def validate(self) -> None:
        if self.input_size % 32:
            raise ParamError("input_size", f"must be a multiple of 32, got {self.input_size}")


class VGGStyleDiscriminator(nn.Module):
    """``forward``: RGB float NCHW (B, C, input_size, input_size) -> logits (B, 1)."""

    def __init__(self, params: VGGDiscriminatorParams | None = None) -> None:
        super().__init__()
        p = params or VGGDiscriminatorParams()
        p.validate()
        self.params = p
        in_ch = p.num_in_ch
        for i, mult in enumerate(WIDTHS):
            out = p.num_feat * mult
            self.add_module(f"conv{i}_0", nn.Conv2d(in_ch, out, 3, 1, 1, bias=i == 0))
            if i:
                self.add_module(f"bn{i}_0", nn.BatchNorm2d(out, affine=True))
            self.add_module(f"conv{i}_1", nn.Conv2d(out, out, 4, 2, 1, bias=False))
            self.add_module(f"bn{i}_1", nn.BatchNorm2d(out, affine=True))
            in_ch = out
        side = p.input_size // 32
        self.linear1 = nn.Linear(in_ch * side * side, 100)
        self.linear2 = nn.Linear(100, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != (self.params.input_size,) * 2:
            raise ValueError(f"vgg_discriminator takes {self.params.input_size}x{self.params.input_size} inputs "
                             f"(input_size must equal gt_size), got {x.shape[-2]}x{x.shape[-1]}")
        for i in range(len(WIDTHS)):
            x = getattr(self, f"conv{i}_0")(x)
            x = self.lrelu(getattr(self, f"bn{i}_0")(x) if i else x)
            x = self.lrelu(getattr(self, f"bn{i}_1")(getattr(self, f"conv{i}_1")(x)))
        return self.linear2(self.lrelu(self.linear1(x.flatten(1))))

    @staticmethod
    def describe(params: VGGDiscriminatorParams) -> dict[str, Any]:
        return {"scale": 1, "in_channels": params.num_in_ch, "out_channels": 1, "size_multiple": 32,
                "supports_half": True, "supports_bfloat16": True}
