"""Stage ``noise``: Gaussian or Poisson noise, in colour or gray (Real-ESRGAN's noise step).

Gaussian: sigma ~ U[sigma] on the 0-255 scale per sample. Poisson: the image quantised to 8 bits
is scaled by vals = 2^ceil(log2(#distinct values)), Poisson-sampled, scaled back, and the
difference (times ``poisson_scale``) is the noise. Gray noise is one map for all three channels.
"""

from __future__ import annotations

import math

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_range
from esrgan_core.degradation.filtering import rgb_to_gray
from esrgan_core.degradation.levels import quantize
from esrgan_core.schema import param


@attrs.frozen
class NoiseParams:
    name: str = param("", help="key for the drawn values in the record (default: noise)")
    gaussian_prob: float = param(0.5, ge=0, le=1, help="probability of Gaussian (else Poisson) noise")
    sigma: tuple[float, float] = param((1.0, 30.0), ge=0, help="Gaussian sigma range, 0-255 scale")
    poisson_scale: tuple[float, float] = param((0.05, 3.0), ge=0, help="Poisson noise scale range")
    gray_prob: float = param(0.4, ge=0, le=1, help="probability the noise is gray (same in R, G, B)")
    clip: bool = param(True, help="clamp the result to [0, 1]")
    per_batch: bool = param(False, help="choose Gaussian/Poisson once per batch and share one gray "
                                        "Gaussian map across the batch (reference behaviour)")

    def validate(self) -> None:
        check_range("sigma", self.sigma)
        check_range("poisson_scale", self.poisson_scale)


def gaussian_noise(x: torch.Tensor, sigma255: torch.Tensor, gray: torch.Tensor, gen: torch.Generator,
                   *, shared_gray_map: bool = False) -> torch.Tensor:
    """Noise for RGB float [0,1] NCHW ``x``: N(0, (sigma/255)^2), one map per sample if gray."""
    b, c, h, w = x.shape
    s = (sigma255 / 255.0).to(device=x.device, dtype=x.dtype).view(-1, 1, 1, 1)
    g = gray.to(x.device).view(-1, 1, 1, 1)
    colour = S.randn_like(gen, (b, c, h, w), x)
    if not bool(gray.any()):
        return colour * s
    gray_map = S.randn_like(gen, (1 if shared_gray_map else b, 1, h, w), x)
    return torch.where(g, gray_map, colour) * s


def distinct_levels(img: torch.Tensor) -> torch.Tensor:
    """Per sample, the number of distinct values of ``quantize(img, 8)`` (what ``torch.unique``
    counts), from one histogram of the 256 levels of the whole batch: linear time, no sort."""
    n = img.shape[0]
    levels = torch.clamp(torch.round(img * 255.0), 0, 255).to(torch.int64).view(n, -1)
    levels = levels + 256 * torch.arange(n, device=img.device).view(-1, 1)
    return (torch.bincount(levels.flatten(), minlength=256 * n).view(n, 256) > 0).sum(dim=1)


def _poisson_of(img: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    q = quantize(img, 8)
    vals = torch.tensor([2.0 ** math.ceil(math.log2(n)) for n in distinct_levels(img).tolist()],
                        dtype=img.dtype, device=img.device)
    vals = vals.view(-1, 1, 1, 1)
    rate = (q * vals).to(gen.device)
    sample = torch.poisson(rate, generator=gen).to(img.device)
    return sample / vals - q


def poisson_noise(x: torch.Tensor, gray: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Signal-dependent noise for RGB float [0,1] NCHW ``x`` (before ``poisson_scale``)."""
    noise = torch.zeros_like(x)
    gray = gray.to(x.device)
    colour_idx = (~gray).nonzero().flatten()
    gray_idx = gray.nonzero().flatten()
    if colour_idx.numel():
        noise = noise.index_copy(0, colour_idx, _poisson_of(x.index_select(0, colour_idx), gen))
    if gray_idx.numel():
        g = _poisson_of(rgb_to_gray(x.index_select(0, gray_idx)), gen).expand(-1, x.shape[1], -1, -1)
        noise = noise.index_copy(0, gray_idx, g.contiguous())
    return noise


class NoiseStage:
    """Add Gaussian or Poisson noise to ``lq`` (RGB float [0,1] NCHW)."""

    def __init__(self, params: NoiseParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n, x = self.params, len(batch), batch.lq
        is_gauss = S.bernoulli(generator, n, p.gaussian_prob, per_batch=p.per_batch, device=x.device)
        sigma = S.uniform(generator, n, *p.sigma, device=x.device)
        scale = S.uniform(generator, n, *p.poisson_scale, device=x.device)
        gray = S.bernoulli(generator, n, p.gray_prob, device=x.device)
        if bool(is_gauss.all()):
            noise = gaussian_noise(x, sigma, gray, generator, shared_gray_map=p.per_batch)
        elif not bool(is_gauss.any()):
            noise = poisson_noise(x, gray, generator) * scale.to(x.dtype).view(-1, 1, 1, 1)
        else:
            noise = self._mixed(x, is_gauss, sigma, scale, gray, generator)
        out = x + noise
        batch.lq = torch.clamp(out, 0, 1) if p.clip else out
        rows = []
        for gs, sg, sc, gr in zip(is_gauss.tolist(), sigma.tolist(), scale.tolist(), gray.tolist()):
            rows.append({"kind": "gaussian", "sigma": sg, "gray": gr} if gs else {"kind": "poisson", "scale": sc, "gray": gr})
        batch.note(p.name or "noise", rows)
        return batch

    def _mixed(self, x: torch.Tensor, is_gauss: torch.Tensor, sigma: torch.Tensor, scale: torch.Tensor,
               gray: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        noise = torch.zeros_like(x)
        g_idx = is_gauss.nonzero().flatten()
        p_idx = (~is_gauss).nonzero().flatten()
        gn = gaussian_noise(x[g_idx], sigma[g_idx], gray[g_idx], generator, shared_gray_map=self.params.per_batch)
        noise = noise.index_copy(0, g_idx, gn)
        pn = poisson_noise(x[p_idx], gray[p_idx], generator) * scale[p_idx].to(x.dtype).view(-1, 1, 1, 1)
        return noise.index_copy(0, p_idx, pn)
