"""PatchGAN discriminator with spectral norm (pix2pix ``NLayerDiscriminator``), optionally multi-scale.

Input: RGB float NCHW ([0, 1]); output: real/fake logits, one per overlapping patch. With
``num_scales`` > 1 the same-shaped discriminators also judge the input average-pooled by 2, 4, ...
(pix2pixHD); their logit maps are resized (nearest) to the first one's size and stacked as channels,
(B, num_scales, h, w), so every scale weighs the same in a mean-reduced GAN loss and the ESRGAN
trainer uses it unchanged. Weights use torch's default init (global RNG; seed it before building).
"""

from __future__ import annotations

from typing import Any

import attrs
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from esrgan_core.schema import param


@attrs.frozen
class PatchGANParams:
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_feat: int = param(64, ge=1, help="channels of the first conv (doubled per layer, at most x8)")
    n_layers: int = param(3, ge=1, le=6, help="stride-2 convs: 3 gives 70x70 patches")
    num_scales: int = param(1, ge=1, le=4, help="discriminators on the input downscaled by 1, 2, 4, ... (multi-scale)")
    spectral_norm: bool = param(True, help="spectral normalisation on every conv")


def _conv(in_ch: int, out_ch: int, stride: int, sn: bool) -> nn.Module:
    conv = nn.Conv2d(in_ch, out_ch, 4, stride, 1)
    return spectral_norm(conv) if sn else conv


def _single(p: PatchGANParams) -> nn.Sequential:
    layers: list[nn.Module] = [_conv(p.num_in_ch, p.num_feat, 2, p.spectral_norm), nn.LeakyReLU(0.2, True)]
    ch = p.num_feat
    for n in range(1, p.n_layers + 1):
        out = p.num_feat * min(2**n, 8)
        layers += [_conv(ch, out, 2 if n < p.n_layers else 1, p.spectral_norm), nn.LeakyReLU(0.2, True)]
        ch = out
    layers.append(_conv(ch, 1, 1, p.spectral_norm))
    return nn.Sequential(*layers)


class PatchGANDiscriminator(nn.Module):
    """``forward``: RGB float NCHW (B, C, H, W) -> logits (B, num_scales, h, w)."""

    def __init__(self, params: PatchGANParams | None = None) -> None:
        super().__init__()
        self.params = p = params or PatchGANParams()
        self.scales = nn.ModuleList(_single(p) for _ in range(p.num_scales))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for i, net in enumerate(self.scales):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outs.append(net(x))
        size = outs[0].shape[-2:]
        return torch.cat([o if o.shape[-2:] == size else F.interpolate(o, size=size, mode="nearest") for o in outs], 1)

    @staticmethod
    def describe(params: PatchGANParams) -> dict[str, Any]:
        return {"scale": 1, "in_channels": params.num_in_ch, "out_channels": params.num_scales, "size_multiple": 1,
                "supports_half": True, "supports_bfloat16": True}
