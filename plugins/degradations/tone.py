"""Stages ``sharpen_halo`` (over-sharpening rings), ``posterize`` (banding, with dithering) and
``color_jitter`` (brightness, contrast, saturation, gamma).

- sharpen_halo: ``x + amount (x - G_sigma * x)``, an unsharp mask without threshold and with a
  large amount, as "sharpness" settings of TVs, cameras and encoders apply; it overshoots on
  both sides of every edge (the bright/dark halos of over-sharpened video and web images).
- posterize: ``floor(x (L - 1) + t) / (L - 1)`` with ``L = 2^bits`` levels and a threshold ``t``:
  ``none`` t = 1/2 (plain rounding: flat bands), ``random`` t ~ U[0, 1) per pixel (noise
  dithering), ``ordered`` t = the 8x8 Bayer matrix (M + 1/2) / 64 (the cross-hatch of ordered
  dithering). The dithered forms keep the mean of flat areas (E[floor(v + t)] = v).
- color_jitter: torchvision's definitions, in this order, each clamped to [0, 1]: brightness
  ``b x``, contrast ``c x + (1 - c) mean(gray(x))``, saturation ``s x + (1 - s) gray(x)``, gamma
  ``x^g`` (gray: 0.2989 R + 0.587 G + 0.114 B).
"""

from __future__ import annotations

import math
from typing import Literal

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_range, check_unique
from esrgan_core.degradation.filtering import filter2d, rgb_to_gray
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.degradations.stage_util import apply_to, rows_of


def gaussian_kernels(sigma: torch.Tensor, size: int) -> torch.Tensor:
    """(n,) sigmas -> (n, size, size) float64 isotropic Gaussians (sum 1)."""
    ax = torch.arange(size, dtype=torch.float64) - size // 2
    s = sigma.double().cpu().view(-1, 1, 1)
    k = torch.exp(-(ax.view(1, -1, 1) ** 2 + ax.view(1, 1, -1) ** 2) / (2 * s**2))
    return k / k.sum((-2, -1), keepdim=True)


@attrs.frozen
class SharpenHaloParams:
    name: str = param("", help="key for the drawn values in the record (default: sharpen_halo)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is sharpened")
    amount: tuple[float, float] = param((0.5, 2.5), ge=0, help="amount range of the added residual")
    sigma: tuple[float, float] = param((0.6, 2.0), gt=0, le=10, help="Gaussian sigma range (pixels): halo width")
    clip: bool = param(True, help="clamp the result to [0, 1]")

    def validate(self) -> None:
        check_range("amount", self.amount)
        check_range("sigma", self.sigma)


class SharpenHaloStage:
    """Draws per sample: apply, amount, sigma."""

    def __init__(self, params: SharpenHaloParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob)
        amount, sigma = S.uniform(generator, n, *p.amount), S.uniform(generator, n, *p.sigma)
        kernels = gaussian_kernels(sigma, 2 * math.ceil(3 * p.sigma[1]) + 1)

        def run(x: torch.Tensor, idx: list[int]) -> torch.Tensor:
            out = x + amount[idx].to(x).view(-1, 1, 1, 1) * (x - filter2d(x, kernels[idx].to(x)))
            return out.clamp(0, 1) if p.clip else out

        batch.lq = apply_to(batch.lq, on, run)
        batch.note(p.name or "sharpen_halo", rows_of(on, [{"amount": a, "sigma": s} for a, s in
                                                          zip(amount.tolist(), sigma.tolist())]))
        return batch


def bayer_matrix(order: int = 3) -> torch.Tensor:
    """The 2^order x 2^order ordered-dither index matrix (values 0 .. 4^order - 1)."""
    m = torch.zeros(1, 1, dtype=torch.float64)
    for _ in range(order):
        m = torch.cat([torch.cat([4 * m, 4 * m + 2], 1), torch.cat([4 * m + 3, 4 * m + 1], 1)], 0)
    return m


def posterize(x: torch.Tensor, levels: int, threshold: torch.Tensor | float) -> torch.Tensor:
    """``floor(x (L - 1) + t) / (L - 1)``, clamped to the L levels."""
    peak = levels - 1
    return torch.clamp(torch.floor(x.clamp(0, 1) * peak + threshold), 0, peak) / peak


@attrs.frozen
class PosterizeParams:
    name: str = param("", help="key for the drawn values in the record (default: posterize)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is posterized")
    bits: tuple[int, int] = param((3, 6), ge=1, le=8, help="bit-depth range (integers, drawn uniformly)")
    dither: tuple[Literal["none", "random", "ordered"], ...] = param(("none", "random", "ordered"),
                                                                       help="dithering to choose from (uniformly)")

    def validate(self) -> None:
        check_range("bits", self.bits)
        if not self.dither:
            raise ParamError("dither", "at least one entry is required")
        check_unique("dither", self.dither)


class PosterizeStage:
    """Draws per sample: apply, bits, dither kind; then one U[0,1) map for the batch (random dither)."""

    def __init__(self, params: PosterizeParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n, x = self.params, len(batch), batch.lq
        on = S.bernoulli(generator, n, p.prob)
        bits = torch.floor(S.uniform(generator, n, p.bits[0], p.bits[1] + 1)).long().clamp_(max=p.bits[1]).tolist()
        kind = [p.dither[k] for k in S.choice(generator, n, [1.0 / len(p.dither)] * len(p.dither)).tolist()]
        u = torch.rand(x.shape, generator=generator, device=generator.device, dtype=x.dtype).to(x.device)
        h, w = x.shape[-2:]
        tile = bayer_matrix(3).to(x)
        ordered = ((tile + 0.5) / 64).repeat(math.ceil(h / 8), math.ceil(w / 8))[:h, :w]

        def run(sub: torch.Tensor, idx: list[int]) -> torch.Tensor:
            t = {"none": 0.5, "random": None, "ordered": ordered}
            return torch.stack([posterize(sub[j], 2 ** bits[i], u[i] if t[kind[i]] is None else t[kind[i]])
                                for j, i in enumerate(idx)])

        batch.lq = apply_to(x, on, run)
        batch.note(p.name or "posterize", rows_of(on, [{"bits": b, "dither": k} for b, k in zip(bits, kind)]))
        return batch


@attrs.frozen
class ColorJitterParams:
    name: str = param("", help="key for the drawn values in the record (default: color_jitter)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is jittered")
    brightness: tuple[float, float] = param((0.8, 1.2), ge=0, help="brightness factor range")
    contrast: tuple[float, float] = param((0.8, 1.2), ge=0, help="contrast factor range")
    saturation: tuple[float, float] = param((0.7, 1.3), ge=0, help="saturation factor range")
    gamma: tuple[float, float] = param((0.8, 1.25), gt=0, help="gamma exponent range")

    def validate(self) -> None:
        for key in ("brightness", "contrast", "saturation", "gamma"):
            check_range(key, getattr(self, key))


def color_jitter(x: torch.Tensor, b: torch.Tensor, c: torch.Tensor, s: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Per-sample brightness, contrast, saturation, gamma (torchvision's definitions) of RGB NCHW ``x``."""
    v = lambda t: t.to(x).view(-1, 1, 1, 1)  # noqa: E731
    x = (x * v(b)).clamp(0, 1)
    mean = rgb_to_gray(x).mean((-3, -2, -1), keepdim=True)
    x = (v(c) * x + (1 - v(c)) * mean).clamp(0, 1)
    x = (v(s) * x + (1 - v(s)) * rgb_to_gray(x)).clamp(0, 1)
    return x.pow(v(g)).clamp(0, 1)


class ColorJitterStage:
    """Draws per sample: apply, brightness, contrast, saturation, gamma."""

    def __init__(self, params: ColorJitterParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob)
        f = {k: S.uniform(generator, n, *getattr(p, k)) for k in ("brightness", "contrast", "saturation", "gamma")}
        batch.lq = apply_to(batch.lq, on, lambda x, idx: color_jitter(x, *(f[k][idx] for k in f)))
        drawn = [dict(zip(f, vals)) for vals in zip(*(t.tolist() for t in f.values()))]
        batch.note(p.name or "color_jitter", rows_of(on, drawn))
        return batch
