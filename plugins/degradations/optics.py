"""Stages ``motion_blur`` (linear camera/object motion) and ``defocus_blur`` (out-of-focus disk/lens PSF).

Kernels are built per sample on one odd K x K grid (K from the upper bound of the range) and
applied with :func:`esrgan_core.degradation.filtering.filter2d` (reflect padding, FFT for K >= 15).

- motion: a segment of length L pixels at angle theta (degrees, counter-clockwise from +x with
  y pointing up), centred; 8 K samples along it are splatted bilinearly and the kernel is normalised.
  Its second moments are L^2/12 + 1/6 along the segment and 1/6 across it (the bilinear splat).
- defocus ``disk``: the fraction of each pixel inside a disk of radius R (8x8 supersampling),
  normalised; ``lens``: the same disk weighted ``1 + rim (r/R)^2``, the bright-rimmed bokeh of
  lenses with spherical aberration (``rim`` drawn per sample).
"""

from __future__ import annotations

import math
from typing import Literal

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_range, check_unique
from esrgan_core.degradation.filtering import filter2d
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.degradations.stage_util import apply_to, rows_of


def _grid_size(reach: float) -> int:
    return 2 * math.ceil(reach) + 3


def motion_kernels(length: torch.Tensor, angle_deg: torch.Tensor, size: int) -> torch.Tensor:
    """(n,) lengths and angles -> (n, size, size) float64 line kernels (sum 1)."""
    n, m, c = length.shape[0], 8 * size, size // 2
    t = (torch.arange(m, dtype=torch.float64) + 0.5) / m - 0.5  # midpoints in [-1/2, 1/2]
    th = torch.deg2rad(angle_deg.double().cpu()).view(-1, 1)
    px = t.view(1, -1) * length.double().cpu().view(-1, 1) * torch.cos(th)
    py = -t.view(1, -1) * length.double().cpu().view(-1, 1) * torch.sin(th)  # rows grow downwards
    grid = torch.arange(size, dtype=torch.float64) - c
    wx = (1 - (px.unsqueeze(-1) - grid).abs()).clamp(min=0)  # (n, m, size)
    wy = (1 - (py.unsqueeze(-1) - grid).abs()).clamp(min=0)
    k = torch.einsum("nmi,nmj->nij", wy, wx)
    return k / k.sum((-2, -1), keepdim=True).view(n, 1, 1)


def disk_kernels(radius: torch.Tensor, rim: torch.Tensor, size: int, sub: int = 8) -> torch.Tensor:
    """(n,) radii and rim weights -> (n, size, size) float64 disk/lens kernels (sum 1)."""
    c = size // 2
    offs = (torch.arange(sub, dtype=torch.float64) + 0.5) / sub - 0.5
    pos = (torch.arange(size, dtype=torch.float64) - c).view(-1, 1) + offs.view(1, -1)  # (size, sub)
    yy = pos.view(size, 1, sub, 1)
    xx = pos.view(1, size, 1, sub)
    r2 = (yy**2 + xx**2).unsqueeze(0)  # (1, size, size, sub, sub)
    rad = radius.double().cpu().view(-1, 1, 1, 1, 1).clamp(min=1e-3)
    inside = (r2 <= rad**2).double()
    weight = inside * (1 + rim.double().cpu().view(-1, 1, 1, 1, 1) * r2 / rad**2)
    k = weight.mean((-2, -1))
    k[:, c, c] += (k.sum((-2, -1)) == 0).double()  # a radius too small to cover a sample centre: the identity
    return k / k.sum((-2, -1), keepdim=True)


def _filter(batch: DegradationBatch, on: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    return apply_to(batch.lq, on, lambda x, idx: filter2d(x, kernels[idx].to(x)))


@attrs.frozen
class MotionBlurParams:
    name: str = param("", help="key for the drawn values in the record (default: motion_blur)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is blurred")
    length: tuple[float, float] = param((1.0, 15.0), ge=0, le=100, help="path length range, pixels")
    angle: tuple[float, float] = param((0.0, 180.0), help="direction range, degrees counter-clockwise from +x")

    def validate(self) -> None:
        check_range("length", self.length)
        check_range("angle", self.angle)


class MotionBlurStage:
    """Per-sample linear motion blur of ``batch.lq``. Draws: apply, length, angle."""

    def __init__(self, params: MotionBlurParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob)
        length, angle = S.uniform(generator, n, *p.length), S.uniform(generator, n, *p.angle)
        kernels = motion_kernels(length, angle, _grid_size(p.length[1] / 2))
        batch.lq = _filter(batch, on, kernels)
        batch.note(p.name or "motion_blur", rows_of(on, [{"length": a, "angle": b} for a, b in
                                                         zip(length.tolist(), angle.tolist())]))
        return batch


@attrs.frozen
class DefocusBlurParams:
    name: str = param("", help="key for the drawn values in the record (default: defocus_blur)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is blurred")
    radius: tuple[float, float] = param((0.5, 4.0), gt=0, le=50, help="disk radius range, pixels")
    kinds: tuple[Literal["disk", "lens"], ...] = param(("disk", "lens"), help="PSF shapes to choose from (uniformly)")
    rim: tuple[float, float] = param((0.0, 1.5), ge=0, help="lens: rim brightening range (weight 1 + rim (r/R)^2)")

    def validate(self) -> None:
        check_range("radius", self.radius)
        check_range("rim", self.rim)
        if not self.kinds:
            raise ParamError("kinds", "at least one kind is required")
        check_unique("kinds", self.kinds)


class DefocusBlurStage:
    """Per-sample defocus blur of ``batch.lq``. Draws: apply, radius, kind, rim."""

    def __init__(self, params: DefocusBlurParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob)
        radius = S.uniform(generator, n, *p.radius)
        kind = S.choice(generator, n, [1.0 / len(p.kinds)] * len(p.kinds)).tolist()
        rim = S.uniform(generator, n, *p.rim)
        lens = torch.tensor([p.kinds[k] == "lens" for k in kind])
        rim = torch.where(lens, rim.cpu(), torch.zeros_like(rim.cpu()))
        batch.lq = _filter(batch, on, disk_kernels(radius, rim, _grid_size(p.radius[1])))
        drawn = [{"kind": p.kinds[k], "radius": r, **({"rim": m} if p.kinds[k] == "lens" else {})}
                 for k, r, m in zip(kind, radius.tolist(), rim.tolist())]
        batch.note(p.name or "defocus_blur", rows_of(on, drawn))
        return batch
