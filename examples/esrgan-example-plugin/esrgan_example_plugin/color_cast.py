"""A degradation stage: add a random per-channel offset (a colour cast) to the LR image."""

from __future__ import annotations

import attrs
import torch

from esrgan_core.errors import ParamError
from esrgan_core.schema import param


@attrs.frozen
class ColorCastParams:
    """Options of ``color_cast``."""

    prob: float = param(0.5, ge=0, le=1, help="probability that a sample gets a cast")
    strength: tuple[float, float] = param((0.0, 0.05), ge=0, le=0.5, help="range of each channel's offset magnitude (sign random)")

    def validate(self) -> None:
        if self.strength[0] > self.strength[1]:
            raise ParamError("strength", "lower bound exceeds upper bound")


class ColorCast:
    """``stage(batch, generator) -> batch``: lq (RGB float [0,1] NCHW) + per-sample offsets, clamped."""

    def __init__(self, params: ColorCastParams) -> None:
        self.params = params

    def __call__(self, batch, generator: torch.Generator):
        lq = batch.lq
        n, c = lq.shape[0], lq.shape[1]
        dev = generator.device
        apply = torch.rand(n, generator=generator, device=dev) < self.params.prob
        lo, hi = self.params.strength
        magnitude = lo + (hi - lo) * torch.rand(n, c, generator=generator, device=dev)
        sign = torch.where(torch.rand(n, c, generator=generator, device=dev) < 0.5, -1.0, 1.0)
        offset = (magnitude * sign * apply[:, None]).to(lq.device, lq.dtype)
        batch.lq = (lq + offset[:, :, None, None]).clamp(0, 1)
        batch.note("color_cast", [{"offset": [float(v) for v in row]} for row in offset.cpu()])
        return batch
