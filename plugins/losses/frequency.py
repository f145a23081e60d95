"""Frequency-domain losses: ``fft`` (amplitude + phase L1) and ``focal_frequency``.

Spectra are per image and channel, ``F = fft2(x, norm="ortho")`` (float32; H x W coefficients).

``fft``::

    l_g_fft = weight * (amplitude_weight * mean |(|F_sr| - |F_gt|)| + phase_weight * mean |wrap(arg F_sr - arg F_gt)|)

``wrap`` maps a phase difference to (-pi, pi] (it is ``arg(F_sr conj(F_gt))``); where either
coefficient is (numerically) zero the phase is undefined and counts as no difference.

``focal_frequency`` (Jiang et al., "Focal Frequency Loss for Image Reconstruction and Synthesis",
ICCV 2021; the official defaults)::

    d(u, v) = |F_sr(u, v) - F_gt(u, v)|
    w(u, v) = d^alpha [log(1 + .)], divided by its maximum per image and channel (or over the whole
              batch with batch_matrix), clamped to [0, 1] and detached
    l_g_ffl = weight * mean w d^2

with the image optionally split into ``patch_factor`` x ``patch_factor`` patches first, and the
spectra averaged over the batch first with ``ave_spectrum``.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch

from esrgan_core.schema import param
from esrgan_plugins.losses.base import TargetLoss


@attrs.frozen
class FFTLossParams:
    """Options of ``fft``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    amplitude_weight: float = param(1.0, ge=0, help="weight of the amplitude L1")
    phase_weight: float = param(1.0, ge=0, help="weight of the (wrapped) phase L1")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")


@attrs.frozen
class FocalFrequencyLossParams:
    """Options of ``focal_frequency`` (official defaults)."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    alpha: float = param(1.0, gt=0, help="exponent of the spectrum weight matrix")
    patch_factor: int = param(1, ge=1, help="split the image into this many patches per side first")
    ave_spectrum: bool = param(False, help="average the spectra over the batch first")
    log_matrix: bool = param(False, help="take log(1 + w) of the weight matrix")
    batch_matrix: bool = param(False, help="normalise the weight matrix by its maximum over the batch")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")


def spectrum(x: torch.Tensor) -> torch.Tensor:
    """``fft2(x, norm="ortho")`` over the last two dimensions, in float32."""
    return torch.fft.fft2(x.float(), norm="ortho")


def magnitude(z: torch.Tensor) -> torch.Tensor:
    """``|z|`` of a complex tensor with a finite (zero) gradient where z = 0."""
    m2 = z.real.square() + z.imag.square()
    ok = m2 > 0
    return torch.where(ok, torch.where(ok, m2, torch.ones_like(m2)).sqrt(), torch.zeros_like(m2))


def wrapped_phase_difference(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``arg(a conj(b))`` in (-pi, pi]; 0 (with a finite gradient) where |a||b| <= eps."""
    z = a * b.conj()
    ok = z.real.square() + z.imag.square() > eps * eps
    return torch.atan2(torch.where(ok, z.imag, torch.zeros_like(z.imag)), torch.where(ok, z.real, torch.ones_like(z.real)))


class FFTLoss(TargetLoss):
    """``loss(sr=..., gt=...) -> {"l_g_fft": ...}`` (module docstring)."""

    full_precision = True

    def __init__(self, params: FFTLossParams) -> None:
        super().__init__(params)
        self.weight = params.weight if (params.amplitude_weight > 0 or params.phase_weight > 0) else 0.0

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        p = self.params
        fx, fy = spectrum(sr), spectrum(target)
        amp = (magnitude(fx) - magnitude(fy)).abs().mean()
        phase = wrapped_phase_difference(fx, fy).abs().mean()
        return {"l_g_fft": p.weight * (p.amplitude_weight * amp + p.phase_weight * phase)}


def patches(x: torch.Tensor, factor: int) -> torch.Tensor:
    """N x C x H x W -> N x P x C x H/f x W/f (P = f*f patches, row-major; H, W divisible by f)."""
    n, c, h, w = x.shape
    if h % factor or w % factor:
        raise ValueError(f"focal_frequency: image {h}x{w} is not divisible by patch_factor {factor}")
    ph, pw = h // factor, w // factor
    return x.reshape(n, c, factor, ph, factor, pw).permute(0, 2, 4, 1, 3, 5).reshape(n, factor * factor, c, ph, pw)


class FocalFrequencyLoss(TargetLoss):
    """``loss(sr=..., gt=...) -> {"l_g_ffl": ...}`` (module docstring)."""

    full_precision = True

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        p = self.params
        fx, fy = spectrum(patches(sr, p.patch_factor)), spectrum(patches(target, p.patch_factor))
        if p.ave_spectrum:
            fx, fy = fx.mean(0, keepdim=True), fy.mean(0, keepdim=True)
        d = fx - fy
        dist2 = d.real.square() + d.imag.square()
        with torch.no_grad():
            w = dist2.sqrt() ** p.alpha
            if p.log_matrix:
                w = torch.log1p(w)
            top = w.amax() if p.batch_matrix else w.amax(dim=(-2, -1), keepdim=True)
            w = torch.nan_to_num(w / top, nan=0.0).clamp(0, 1)
        return {"l_g_ffl": p.weight * (w * dist2).mean()}
