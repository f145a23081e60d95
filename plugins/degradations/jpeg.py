"""The ``jpeg`` degradation stage: per-sample JPEG compression of the LQ batch (Real-ESRGAN's DiffJPEG step).

Two back-ends:

- ``diff`` (default): :func:`diff_jpeg`, BasicSR's DiffJPEG reproduced (continuous quality, the
  transposed-table quirk, batched on the batch's device), optionally differentiable;
- ``codec``: :func:`codec_jpeg`, OpenCV's libjpeg on the CPU at integer qualities.

Randomness, all from the generator, in this order: one uniform per sample for the quality
(``q = q_min + u * (q_max - q_min)``, like the reference's ``uniform_``; rounded to an integer
for the codec), then, only when ``prob < 1``, one uniform per sample deciding whether that sample
is compressed. The record gets ``{"quality": q}`` per compressed sample (``{"applied": False}``
for the others) under ``name`` (default ``jpeg``).
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.degradations.jpeg_codec import codec_jpeg
from esrgan_plugins.degradations.jpeg_diff import diff_jpeg

__all__ = ["JpegParams", "JpegStage", "codec_jpeg", "diff_jpeg"]


@attrs.frozen
class JpegParams:
    """Options of the ``jpeg`` stage."""

    name: str = param("", help="key for the drawn values in the record (default: jpeg)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is compressed (drawn per sample)")
    quality: tuple[float, float] = param(
        (30.0, 95.0), ge=1, le=100, help="JPEG quality range [q_min, q_max] within [1, 100], drawn uniformly per sample"
    )
    backend: Literal["diff", "codec"] = param(
        "diff", help="'diff': batched DiffJPEG simulation (Real-ESRGAN); 'codec': real libjpeg via OpenCV, CPU"
    )
    differentiable: bool = param(
        False, help="diff backend only: cubic soft rounding (gradients flow) instead of torch.round"
    )
    clamp: bool = param(True, help="clamp the input to [0, 1] before compressing (Real-ESRGAN does)")

    def validate(self) -> None:
        lo, hi = self.quality
        if not (1 <= lo <= 100 and 1 <= hi <= 100):
            raise ParamError("quality", f"qualities must lie in [1, 100], got [{lo}, {hi}]")
        if lo > hi:
            raise ParamError("quality", f"q_min {lo} exceeds q_max {hi}")
        if self.differentiable and self.backend == "codec":
            raise ParamError("differentiable", "the codec backend is not differentiable; use backend: diff")


class JpegStage:
    """``stage(batch, generator) -> batch``: JPEG-compress ``batch.lq`` (RGB float [0,1] NCHW)."""

    def __init__(self, params: JpegParams | None = None) -> None:
        self.params = params or JpegParams()

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(quality (n,) float64, apply (n,) bool) on the generator's device, in the documented order."""
        p = self.params
        quality = S.uniform(generator, n, *p.quality)
        if p.backend == "codec":
            quality = quality.round()
        if p.prob < 1:
            apply = S.bernoulli(generator, n, p.prob)
        else:
            apply = torch.ones(n, dtype=torch.bool, device=quality.device)
        return quality, apply

    def compress(self, lq: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        """JPEG of every sample of RGB float [0,1] NCHW ``lq`` at ``quality`` (no randomness)."""
        if self.params.backend == "codec":
            return codec_jpeg(lq, quality.round().long().cpu())
        q = quality.to(device=lq.device, dtype=torch.float32)
        return diff_jpeg(lq, q, differentiable=self.params.differentiable).to(lq.dtype)

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        lq = batch.lq
        quality, apply = self.draw(len(batch), generator)
        src = lq.clamp(0, 1) if self.params.clamp else lq
        if bool(apply.all()):
            out = self.compress(src, quality)
        else:
            idx = apply.nonzero().flatten().to(lq.device)
            out = lq
            if idx.numel():
                out = lq.index_copy(0, idx, self.compress(src.index_select(0, idx), quality.to(lq.device)[idx]))
        batch.lq = out
        cast = int if self.params.backend == "codec" else float
        rows = [{"quality": cast(q)} if a else {"applied": False} for q, a in zip(quality.tolist(), apply.tolist())]
        batch.note(self.params.name or "jpeg", rows)
        return batch
