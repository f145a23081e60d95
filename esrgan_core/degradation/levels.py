"""Quantisation to 8-bit (or ``bits``-bit) levels, as saving an image would (the pipeline's last step
and the ``quantize`` stage)."""

from __future__ import annotations

import torch


def quantize(x: torch.Tensor, bits: int = 8) -> torch.Tensor:
    """Round RGB float [0,1] values to the nearest of 2^bits levels (half-to-even)."""
    peak = float(2**bits - 1)
    return torch.clamp(torch.round(x * peak), 0, peak) / peak
