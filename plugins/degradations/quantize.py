"""Stage ``quantize``: round ``lq`` (RGB float [0,1] NCHW) to 8-bit levels, as saving it would.

Rounding is half-to-even (torch.round), then clamp to [0, 255] and divide by 255.
"""

from __future__ import annotations

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation.levels import quantize
from esrgan_core.schema import param


@attrs.frozen
class QuantizeParams:
    bits: int = param(8, ge=1, le=16, help="bit depth of the levels (2^bits - 1 steps)")


class QuantizeStage:
    def __init__(self, params: QuantizeParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        batch.lq = quantize(batch.lq, self.params.bits)
        return batch
