"""SRVGGNetCompact: Real-ESRGAN's compact generator (realesr-animevideov3, realesr-general-x4v3).

The network *is* spandrel's ``Compact`` class, whose state dict already has Real-ESRGAN's layout
(``body.{i}``: convs at even indices, PReLU slopes at odd ones). Input and output are RGB float
NCHW ([0, 1] in training; the output is not clamped). The body is a plain conv stack; a pixel
shuffle upsamples and the nearest-upsampled input is added. Weights use torch's default init
(global RNG, in Real-ESRGAN's order; seed it before building); PReLU slopes start at 0.25.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Mapping

import attrs
import torch
from spandrel.architectures.Compact import Compact as SpandrelCompact

from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.networks.keys import child_indices

Activation = Literal["prelu", "relu", "leakyrelu"]


@attrs.frozen
class SRVGGParams:
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_out_ch: int = param(3, ge=1, help="output channels (must equal num_in_ch, or num_in_ch is 1)")
    num_feat: int = param(64, ge=1, help="feature channels")
    num_conv: int = param(16, ge=0, help="number of body convs between the first and the last conv")
    upscale: int = param(4, ge=1, help="upscaling factor")
    act_type: Activation = param("prelu", help="activation: prelu (per-channel), relu, or leakyrelu (slope 0.1)")

    def validate(self) -> None:
        if self.num_out_ch != self.num_in_ch and self.num_in_ch != 1:
            raise ParamError("num_out_ch", f"must equal num_in_ch ({self.num_in_ch}): the upsampled input is added to the output")


class SRVGGNetCompact(SpandrelCompact):
    """``forward``: RGB float NCHW (B, num_in_ch, H, W) -> (B, num_out_ch, upscale*H, upscale*W)."""

    licence = "BSD-3-Clause"  # Real-ESRGAN's SRVGGNetCompact, as copied into spandrel (``esrgan-run plugins``)

    def __init__(self, params: SRVGGParams | None = None) -> None:
        p = params or SRVGGParams()
        p.validate()
        super().__init__(num_in_ch=p.num_in_ch, num_out_ch=p.num_out_ch, num_feat=p.num_feat, num_conv=p.num_conv,
                         upscale=p.upscale, act_type=p.act_type)
        self.params = p

    @staticmethod
    def detect(state_dict: Mapping[str, torch.Tensor]) -> SRVGGParams | None:
        """Hyper-parameters of an SRVGGNetCompact state dict, or None if it is not one.

        num_conv = (highest body index - 2) / 2; (upscale, out channels) from the last conv's
        output channels = out * upscale^2, trying out in [in, 3, 4, 1] (spandrel's order).
        act_type is prelu when ``body.1.weight`` exists; otherwise the weights cannot tell relu
        from leakyrelu and ``relu`` is assumed (a safetensors file written by us records it).
        """
        if any(not k.startswith("body.") for k in state_dict) or "body.0.weight" not in state_dict:
            return None
        indices = child_indices(state_dict, "body")
        highest = indices[-1] if indices else -1
        if highest < 2 or highest % 2:
            return None
        first = state_dict["body.0.weight"]
        if first.ndim != 4:
            return None
        num_feat, in_ch = first.shape[:2]
        prelu = "body.1.weight" in state_dict
        expected = {f"body.{i}.{n}" for i in range(0, highest + 1, 2) for n in ("weight", "bias")}
        if prelu:
            expected |= {f"body.{i}.weight" for i in range(1, highest, 2)}
        if set(state_dict) != expected:
            return None
        last_out = state_dict[f"body.{highest}.weight"].shape[0]
        for out_ch in (in_ch, 3, 4, 1):
            root = math.isqrt(last_out // out_ch)
            if last_out % out_ch == 0 and root * root * out_ch == last_out:
                params = SRVGGParams(num_in_ch=in_ch, num_out_ch=out_ch, num_feat=num_feat, num_conv=(highest - 2) // 2,
                                     upscale=root, act_type="prelu" if prelu else "relu")
                try:
                    params.validate()
                except ParamError:
                    continue
                return params
        return None

    @staticmethod
    def describe(params: SRVGGParams) -> dict[str, Any]:
        """Facts for a model description (see ``esrgan_core.modelfiles.description``)."""
        return {"scale": params.upscale, "in_channels": params.num_in_ch, "out_channels": params.num_out_ch,
                "size_multiple": 1, "supports_half": True, "supports_bfloat16": True}
