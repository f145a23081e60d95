"""Stage ``resize``: random up/down/keep scaling with a random interpolation mode.

``to: relative`` scales the current image like ``F.interpolate(scale_factor=s)`` (output size
floor(size * s), reference stage 1). ``to: lr`` resizes to int(ori / scale * s) of the HR input
(reference stage 2); with ``prob: [0, 0, 1]`` that is exactly the LR size (the final resize).
With per-sample scales (the default) samples end at different sizes and the batch becomes
ragged until a later resize gives them one size again.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_probs, check_unique
from esrgan_core.errors import ParamError
from esrgan_core.schema import param

Mode = Literal["area", "bilinear", "bicubic", "nearest", "nearest-exact"]
TYPES = ("up", "down", "keep")


@attrs.frozen
class ResizeParams:
    name: str = param("", help="key for the drawn values in the record (default: resize)")
    prob: tuple[float, float, float] = param((0.2, 0.7, 0.1), help="probabilities of up, down, keep")
    range: tuple[float, float] = param((0.15, 1.5), gt=0, help="scale range: up draws U[1,hi], down U[lo,1]")
    modes: tuple[Mode, ...] = param(("area", "bilinear", "bicubic"), help="interpolation modes to choose from")
    mode_prob: tuple[float, ...] | None = param(None, help="probability of each mode (default: uniform)")
    to: Literal["relative", "lr"] = param("relative", help="relative: scale the current size; lr: scale the LR size of the input")
    per_batch: bool = param(False, help="draw type, scale and mode once per batch (reference behaviour)")

    def validate(self) -> None:
        check_probs("prob", self.prob, 3, "of up/down/keep")
        lo, hi = self.range
        if lo > 1 or hi < 1:
            raise ParamError("range", f"must contain 1 (down draws U[lo,1], up U[1,hi]), got {list(self.range)}")
        if not self.modes:
            raise ParamError("modes", "at least one mode is required")
        check_unique("modes", self.modes)
        if self.mode_prob is not None:
            check_probs("mode_prob", self.mode_prob, len(self.modes), "mode")


def _interpolate(x: torch.Tensor, mode: str, size: tuple[int, int] | None, factor: float | None) -> torch.Tensor:
    align = False if mode in ("bilinear", "bicubic") else None
    if size is not None:
        return F.interpolate(x, size=size, mode=mode, align_corners=align)
    return F.interpolate(x, scale_factor=factor, mode=mode, align_corners=align)


class ResizeStage:
    """Resize ``lq`` (RGB float [0,1] NCHW); see the module docstring for the size rules."""

    def __init__(self, params: ResizeParams) -> None:
        self.params = params

    def _draw(self, gen: torch.Generator, n: int) -> tuple[list[int], list[float], list[str]]:
        p = self.params
        kind = S.choice(gen, n, p.prob, per_batch=p.per_batch)
        u = S.rand(gen, n, per_batch=p.per_batch)
        lo, hi = p.range
        scale = torch.where(kind == 0, 1 + (hi - 1) * u, torch.where(kind == 1, lo + (1 - lo) * u, torch.ones_like(u)))
        mode_prob = p.mode_prob or [1.0 / len(p.modes)] * len(p.modes)
        mode = S.choice(gen, n, mode_prob, per_batch=p.per_batch)
        return kind.tolist(), scale.tolist(), [p.modes[m] for m in mode.tolist()]

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        kind, scale, mode = self._draw(generator, n)
        h, w = batch.lq.shape[-2:]
        oh, ow = batch.ori_size
        if p.to == "lr":
            sizes = [(max(1, int(oh / batch.scale * s)), max(1, int(ow / batch.scale * s))) for s in scale]
            factors: list[float | None] = [None] * n
        else:
            sizes = [(max(1, int(h * s)), max(1, int(w * s))) for s in scale]
            factors = list(scale)
        groups: dict[tuple, list[int]] = {}
        for i in range(n):
            groups.setdefault((sizes[i], factors[i], mode[i]), []).append(i)
        out: list[torch.Tensor | None] = [None] * n
        for (size, factor, m), idx in groups.items():
            x = batch.lq[idx[0]:idx[0] + 1] if len(idx) == 1 else batch.lq[idx]
            by_factor = factor is not None and int(h * factor) >= 1 and int(w * factor) >= 1
            y = _interpolate(x, m, None if by_factor else size, factor if by_factor else None)
            for j, i in enumerate(idx):
                out[i] = y[j]
        batch.lq = torch.stack(out) if len(set(sizes)) == 1 else list(out)
        batch.note(p.name or "resize", [{"type": TYPES[k], "scale": s, "mode": md, "size": list(sz)}
                                        for k, s, md, sz in zip(kind, scale, mode, sizes)])
        return batch
