"""RRDBNet: the ESRGAN / Real-ESRGAN generator (BasicSR ``rrdbnet_arch``), key-compatible.

Input and output are RGB float NCHW; the training range is [0, 1] and the output is not clamped.
Scales 2 and 1 pixel-unshuffle the input first (by 2 and 4) and then upsample by 4 internally, as
the reference does. Inputs whose size is not a multiple of the unshuffle factor are reflect-padded
on the right/bottom and the output is cropped (the reference asserts instead; spandrel pads too).
Weights are initialised with torch's global RNG (seed it before building).
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs
import torch
import torch.nn.functional as F
from torch import nn

from esrgan_core.errors import ParamError
from esrgan_core.padding import crop_to, pad_to_multiple
from esrgan_core.schema import param
from esrgan_plugins.networks.keys import child_indices, has_all, shape

UNSHUFFLE = {4: 1, 2: 2, 1: 4}  # scale -> pixel-unshuffle factor
RESIDUAL_SCALE = 0.2


@attrs.frozen
class RRDBNetParams:
    num_in_ch: int = param(3, ge=1, help="input channels (3 for RGB)")
    num_out_ch: int = param(3, ge=1, help="output channels (3 for RGB)")
    scale: int = param(4, help="upscaling factor: 1, 2 or 4 (1 and 2 pixel-unshuffle the input first)")
    num_feat: int = param(64, ge=1, help="feature channels")
    num_block: int = param(23, ge=1, help="number of RRDB blocks")
    num_grow_ch: int = param(32, ge=1, help="growth channels inside a dense block (spandrel needs 32)")

    def validate(self) -> None:
        if self.scale not in UNSHUFFLE:
            raise ParamError("scale", f"must be 1, 2 or 4, got {self.scale}")


def _init_rdb_conv(conv: nn.Conv2d) -> None:
    """Reference init for dense-block convs: kaiming normal (fan_in, gain sqrt 2) x 0.1, bias 0."""
    nn.init.kaiming_normal_(conv.weight)
    with torch.no_grad():
        conv.weight.mul_(0.1)
        conv.bias.zero_()


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convs; output = conv5(...) * 0.2 + x."""

    def __init__(self, num_feat: int, num_grow_ch: int) -> None:
        super().__init__()
        for i in range(5):
            out_ch = num_feat if i == 4 else num_grow_ch
            conv = nn.Conv2d(num_feat + i * num_grow_ch, out_ch, 3, 1, 1)
            _init_rdb_conv(conv)
            self.add_module(f"conv{i + 1}", conv)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for i in range(1, 5):
            feats.append(self.lrelu(getattr(self, f"conv{i}")(torch.cat(feats, 1))))
        x5 = self.conv5(torch.cat(feats, 1))
        return x5 * RESIDUAL_SCALE + x


class RRDB(nn.Module):
    """Three dense blocks in sequence with a scaled residual: out * 0.2 + x."""

    def __init__(self, num_feat: int, num_grow_ch: int) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rdb3(self.rdb2(self.rdb1(x))) * RESIDUAL_SCALE + x


class RRDBNet(nn.Module):
    """ESRGAN generator. ``forward``: RGB float NCHW (B, num_in_ch, H, W) -> (B, num_out_ch, sH, sW)."""

    def __init__(self, params: RRDBNetParams | None = None) -> None:
        super().__init__()
        p = params or RRDBNetParams()
        p.validate()
        self.params = p
        self.unshuffle = UNSHUFFLE[p.scale]
        in_ch = p.num_in_ch * self.unshuffle**2
        self.conv_first = nn.Conv2d(in_ch, p.num_feat, 3, 1, 1)
        self.body = nn.Sequential(*(RRDB(p.num_feat, p.num_grow_ch) for _ in range(p.num_block)))
        self.conv_body = nn.Conv2d(p.num_feat, p.num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(p.num_feat, p.num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(p.num_feat, p.num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(p.num_feat, p.num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(p.num_feat, p.num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(pad_to_multiple(x, self.unshuffle), self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        out = self.conv_last(self.lrelu(self.conv_hr(feat)))
        return crop_to(out, h * self.params.scale, w * self.params.scale)

    @staticmethod
    def detect(state_dict: Mapping[str, torch.Tensor]) -> RRDBNetParams | None:
        """Hyper-parameters of a BasicSR-style RRDBNet state dict, or None if it is not one.

        Scale comes from conv_first's input channels over conv_last's output channels (ratio 1:
        x4, 4: x2, 16: x1), num_block from the count of ``body.N``, num_grow_ch from rdb1.conv1.
        """
        needed = ("conv_first.weight", "body.0.rdb1.conv1.weight", "conv_body.weight", "conv_up1.weight",
                  "conv_up2.weight", "conv_hr.weight", "conv_last.weight")
        if not has_all(state_dict, *needed) or "conv_up3.weight" in state_dict:
            return None
        feat, in_ch = shape(state_dict, "conv_first.weight")[:2]
        out_ch = shape(state_dict, "conv_last.weight")[0]
        scale, num_in = 4, in_ch
        for s, factor in ((1, 4), (2, 2)):
            if in_ch == out_ch * factor**2:
                scale, num_in = s, in_ch // factor**2
        blocks = child_indices(state_dict, "body")
        if blocks != list(range(len(blocks))):
            return None
        return RRDBNetParams(num_in_ch=num_in, num_out_ch=out_ch, scale=scale, num_feat=feat,
                             num_block=len(blocks), num_grow_ch=shape(state_dict, "body.0.rdb1.conv1.weight")[0])

    @staticmethod
    def describe(params: RRDBNetParams) -> dict[str, Any]:
        """Facts for a model description (see ``esrgan_core.modelfiles.description``)."""
        return {"scale": params.scale, "in_channels": params.num_in_ch, "out_channels": params.num_out_ch,
                "size_multiple": UNSHUFFLE[params.scale], "supports_half": True, "supports_bfloat16": True}
