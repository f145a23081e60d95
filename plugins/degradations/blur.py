"""Stages ``blur`` (random Gaussian-family or sinc kernel) and ``sinc`` (final low-pass)."""

from __future__ import annotations

import math
from typing import Literal

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_odd_range, check_probs, check_range, check_unique
from esrgan_core.degradation.filtering import filter2d
from esrgan_core.schema import param
from esrgan_plugins.degradations.kernels import FAMILIES, mixed_kernels, sinc_kernels

Family = Literal["iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"]
PI = math.pi


@attrs.frozen
class BlurParams:
    name: str = param("", help="key for the drawn values in the record (default: blur)")
    prob: float = param(1.0, ge=0, le=1, help="probability the blur is applied (reference: 1, second blur 0.8)")
    per_batch: bool = param(False, help="decide on/off once per batch, as the reference's second blur")
    kernel_size: tuple[int, int] = param((7, 21), help="odd kernel sizes drawn from lo, lo+2, ..., hi")
    kernel_list: tuple[Family, ...] = param(FAMILIES, help="kernel families to choose from")
    kernel_prob: tuple[float, ...] = param((0.45, 0.25, 0.12, 0.03, 0.12, 0.03), help="probability of each family")
    sigma: tuple[float, float] = param((0.2, 3.0), gt=0, help="sigma range (pixels) for both axes")
    rotation: tuple[float, float] = param((-PI, PI), help="rotation range of anisotropic kernels (radians)")
    betag: tuple[float, float] = param((0.5, 4.0), gt=0, help="shape range of generalized kernels")
    betap: tuple[float, float] = param((1.0, 2.0), gt=0, help="shape range of plateau kernels")
    sinc_prob: float = param(0.1, ge=0, le=1, help="probability of a sinc kernel instead")
    sinc_cutoff: tuple[float, float] = param((PI / 3, PI), gt=0, le=PI, help="sinc cutoff range for sizes below sinc_large_from")
    sinc_cutoff_large: tuple[float, float] = param((PI / 5, PI), gt=0, le=PI, help="sinc cutoff range for larger sizes")
    sinc_large_from: int = param(13, ge=1, help="kernel size from which sinc_cutoff_large applies")

    def validate(self) -> None:
        check_odd_range("kernel_size", self.kernel_size)
        check_unique("kernel_list", self.kernel_list)
        check_probs("kernel_prob", self.kernel_prob, len(self.kernel_list), "kernel_list entry")
        for key in ("sigma", "rotation", "betag", "betap", "sinc_cutoff", "sinc_cutoff_large"):
            check_range(key, getattr(self, key))


def draw_kernels(p: BlurParams, gen: torch.Generator, n: int, device: torch.device) -> tuple[torch.Tensor, list[dict]]:
    """n random kernels (n, K, K) float64 with K = the largest size, and what was drawn."""
    lo, hi = p.kernel_size
    ks = S.odd_sizes(gen, n, lo, hi, device=device)
    is_sinc = S.bernoulli(gen, n, p.sinc_prob, device=device)
    family = torch.tensor([FAMILIES.index(f) for f in p.kernel_list], device=device)[
        S.choice(gen, n, p.kernel_prob, device=device)]
    sx = S.uniform(gen, n, *p.sigma, device=device)
    sy = S.uniform(gen, n, *p.sigma, device=device)
    theta = S.uniform(gen, n, *p.rotation, device=device)
    aniso = family % 2 == 1
    sy = torch.where(aniso, sy, sx)
    theta = torch.where(aniso, theta, torch.zeros_like(theta))
    bg = S.beta_values(gen, n, *p.betag, device=device)
    bp = S.beta_values(gen, n, *p.betap, device=device)
    group = family // 2
    beta = torch.where(group == 1, bg, torch.where(group == 2, bp, torch.ones_like(bg)))
    small = S.uniform(gen, n, *p.sinc_cutoff, device=device)
    large = S.uniform(gen, n, *p.sinc_cutoff_large, device=device)
    cutoff = torch.where(ks < p.sinc_large_from, small, large)
    k_mixed = mixed_kernels(family, sx, sy, theta, beta, ks, hi)
    k_sinc = sinc_kernels(cutoff, hi, ks)
    kernels = torch.where(is_sinc.view(-1, 1, 1), k_sinc, k_mixed)
    return kernels, _describe(ks, is_sinc, family, sx, sy, theta, beta, cutoff)


def _describe(ks, is_sinc, family, sx, sy, theta, beta, cutoff) -> list[dict]:
    rows = zip(ks.tolist(), is_sinc.tolist(), family.tolist(), sx.tolist(), sy.tolist(), theta.tolist(),
               beta.tolist(), cutoff.tolist())
    out = []
    for k, sinc, fam, a, b, t, be, wc in rows:
        if sinc:
            out.append({"applied": True, "kernel": "sinc", "size": k, "cutoff": wc})
        else:
            d = {"applied": True, "kernel": FAMILIES[fam], "size": k, "sigma_x": a, "sigma_y": b, "theta": t}
            if fam >= 2:
                d["beta"] = be
            out.append(d)
    return out


def apply_where(x: torch.Tensor, on: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Filter the samples where ``on`` is set with their kernels; the others pass unchanged."""
    if bool(on.all()):
        return filter2d(x, kernels)
    idx = on.nonzero().flatten().to(x.device)
    if idx.numel() == 0:
        return x
    filtered = filter2d(x.index_select(0, idx), kernels.index_select(0, idx.to(kernels.device)))
    return x.index_copy(0, idx, filtered)


class BlurStage:
    """Blur each sample with its own random kernel (Real-ESRGAN's first/second blur)."""

    def __init__(self, params: BlurParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob, per_batch=p.per_batch, device=batch.device)
        kernels, drawn = draw_kernels(p, generator, n, batch.device)
        batch.lq = apply_where(batch.lq, on, kernels)
        batch.note(p.name or "blur", [d if o else {"applied": False} for d, o in zip(drawn, on.tolist())])
        return batch


@attrs.frozen
class SincParams:
    name: str = param("", help="key for the drawn values in the record (default: sinc)")
    prob: float = param(0.8, ge=0, le=1, help="probability of the sinc filter (else the identity pulse)")
    kernel_size: tuple[int, int] = param((7, 21), help="odd kernel sizes drawn from lo, lo+2, ..., hi")
    cutoff: tuple[float, float] = param((PI / 3, PI), gt=0, le=PI, help="cutoff range (radians per pixel)")

    def validate(self) -> None:
        check_odd_range("kernel_size", self.kernel_size)
        check_range("cutoff", self.cutoff)


class SincStage:
    """Final low-pass (reference final_sinc): a sinc kernel with probability ``prob``."""

    def __init__(self, params: SincParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n, dev = self.params, len(batch), batch.device
        on = S.bernoulli(generator, n, p.prob, device=dev)
        ks = S.odd_sizes(generator, n, *p.kernel_size, device=dev)
        cutoff = S.uniform(generator, n, *p.cutoff, device=dev)
        batch.lq = apply_where(batch.lq, on, sinc_kernels(cutoff, p.kernel_size[1], ks))
        batch.note(p.name or "sinc", [{"applied": True, "size": k, "cutoff": c} if o else {"applied": False}
                                      for o, k, c in zip(on.tolist(), ks.tolist(), cutoff.tolist())])
        return batch
