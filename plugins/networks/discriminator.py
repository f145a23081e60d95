"""UNetDiscriminatorSN: Real-ESRGAN's U-Net discriminator with spectral normalisation.

Input: RGB float NCHW images ([0, 1]); output: a (B, 1, H, W) map of real/fake logits. Spectral
norm is ``torch.nn.utils.spectral_norm`` (1 power iteration per train-mode forward, eps 1e-12),
so state-dict keys are ``convK.weight_orig`` / ``weight_u`` / ``weight_v`` as in BasicSR. Inputs
whose size is not a multiple of 8 are padded on the right/bottom and the logits cropped back
(the reference asserts instead). Weights use torch's default init (global RNG).
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from esrgan_core.padding import crop_to, pad_to_multiple
from esrgan_core.schema import param
from esrgan_plugins.networks.keys import has_all, shape

SIZE_MULTIPLE = 8


@attrs.frozen
class UNetDiscriminatorParams:
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_feat: int = param(64, ge=1, help="base feature channels")
    skip_connection: bool = param(True, help="add the encoder features to the decoder (U-Net skips)")


def _sn_conv(in_ch: int, out_ch: int, kernel: int, stride: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(in_ch, out_ch, kernel, stride, 1, bias=False))


class UNetDiscriminatorSN(nn.Module):
    """``forward``: RGB float NCHW (B, C, H, W) -> logits (B, 1, H, W)."""

    def __init__(self, params: UNetDiscriminatorParams | None = None) -> None:
        super().__init__()
        p = params or UNetDiscriminatorParams()
        self.params = p
        nf = p.num_feat
        self.conv0 = nn.Conv2d(p.num_in_ch, nf, 3, 1, 1)
        self.conv1 = _sn_conv(nf, nf * 2, 4, 2)
        self.conv2 = _sn_conv(nf * 2, nf * 4, 4, 2)
        self.conv3 = _sn_conv(nf * 4, nf * 8, 4, 2)
        self.conv4 = _sn_conv(nf * 8, nf * 4, 3, 1)
        self.conv5 = _sn_conv(nf * 4, nf * 2, 3, 1)
        self.conv6 = _sn_conv(nf * 2, nf, 3, 1)
        self.conv7 = _sn_conv(nf, nf, 3, 1)
        self.conv8 = _sn_conv(nf, nf, 3, 1)
        self.conv9 = nn.Conv2d(nf, 1, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = pad_to_multiple(x, SIZE_MULTIPLE)
        x0 = F.leaky_relu(self.conv0(x), 0.2)
        x1 = F.leaky_relu(self.conv1(x0), 0.2)
        x2 = F.leaky_relu(self.conv2(x1), 0.2)
        x3 = F.leaky_relu(self.conv3(x2), 0.2)
        up = x3
        for conv, skip in ((self.conv4, x2), (self.conv5, x1), (self.conv6, x0)):
            up = F.leaky_relu(conv(F.interpolate(up, scale_factor=2, mode="bilinear", align_corners=False)), 0.2)
            if self.params.skip_connection:
                up = up + skip
        out = F.leaky_relu(self.conv7(up), 0.2)
        out = F.leaky_relu(self.conv8(out), 0.2)
        return crop_to(self.conv9(out), h, w)

    @staticmethod
    def detect(state_dict: Mapping[str, torch.Tensor]) -> UNetDiscriminatorParams | None:
        """Hyper-parameters of a BasicSR UNetDiscriminatorSN state dict, or None.

        ``skip_connection`` cannot be read off the weights; True (the reference default) is assumed
        unless a safetensors file records otherwise.
        """
        if not has_all(state_dict, "conv0.weight", "conv1.weight_orig", "conv8.weight_orig", "conv9.weight"):
            return None
        num_feat, in_ch = shape(state_dict, "conv0.weight")[:2]
        return UNetDiscriminatorParams(num_in_ch=in_ch, num_feat=num_feat)

    @staticmethod
    def describe(params: UNetDiscriminatorParams) -> dict[str, Any]:
        """Facts for a model description: a discriminator has scale 1 and one output channel."""
        return {"scale": 1, "in_channels": params.num_in_ch, "out_channels": 1, "size_multiple": SIZE_MULTIPLE,
                "supports_half": True, "supports_bfloat16": True}
