"""Blur kernels, generated for a whole batch at once in torch (float64, on the caller's device).

Kernel formulas follow Real-ESRGAN's ``basicsr.data.degradations``. Each sample has its own size ``ks`` (odd);
kernels are laid out on a common ``size`` x ``size`` grid, zero outside the centred ks x ks window,
which is what building at ks and zero-padding to ``size`` gives. The grid entry at row r, column c
is (x=c-size//2, y=r-size//2). Kernels are normalised to sum 1 unless ``normalize=False``.
"""

from __future__ import annotations

import math

import torch

FAMILIES: tuple[str, ...] = (
    "iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso",
)


def _grid(size: int, device: torch.device, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    ax = torch.arange(-(size // 2), size // 2 + 1, device=device, dtype=dtype)
    yy, xx = torch.meshgrid(ax, ax, indexing="ij")
    return xx, yy


def _window(ks: torch.Tensor, size: int) -> torch.Tensor:
    """(B, size, size) bool: inside the centred ks x ks window of each sample."""
    xx, yy = _grid(size, ks.device)
    half = (ks.to(torch.float64) // 2).view(-1, 1, 1)
    return (xx.abs() <= half) & (yy.abs() <= half)


def _finish(k: torch.Tensor, ks: torch.Tensor | None, size: int, normalize: bool) -> torch.Tensor:
    if ks is not None:
        k = k * _window(ks, size)
    if normalize:
        k = k / k.sum(dim=(1, 2), keepdim=True)
    return k


def quadratic_form(sigma_x: torch.Tensor, sigma_y: torch.Tensor, theta: torch.Tensor, size: int) -> torch.Tensor:
    """q = x^T Sigma^-1 x on the grid, Sigma = R diag(sx^2, sy^2) R^T, R the rotation by theta."""
    xx, yy = _grid(size, sigma_x.device)
    c = torch.cos(theta).view(-1, 1, 1)
    s = torch.sin(theta).view(-1, 1, 1)
    u = c * xx + s * yy
    v = -s * xx + c * yy
    return (u / sigma_x.view(-1, 1, 1)) ** 2 + (v / sigma_y.view(-1, 1, 1)) ** 2


def mixed_kernels(family: torch.Tensor, sigma_x: torch.Tensor, sigma_y: torch.Tensor, theta: torch.Tensor,
                  beta: torch.Tensor, ks: torch.Tensor, size: int) -> torch.Tensor:
    """Per sample, the kernel of family ``FAMILIES[family[i]]`` (isotropy is in the sigmas/theta).

    With q the :func:`quadratic_form`: iso/aniso ``exp(-q/2)``, generalized ``exp(-q^beta / 2)`` (the whole
    quadratic form to the power beta), plateau ``1 / (1 + q^beta)``; ``ks`` windows each, then sum 1.
    """
    q = quadratic_form(sigma_x, sigma_y, theta, size)
    b = beta.view(-1, 1, 1)
    group = (family // 2).view(-1, 1, 1)
    qb = q.pow(b)
    k = torch.where(group == 0, torch.exp(-0.5 * q), torch.where(group == 1, torch.exp(-0.5 * qb), 1.0 / (1.0 + qb)))
    return _finish(k, ks, size, True)


def sinc_kernels(cutoff: torch.Tensor, size: int, ks: torch.Tensor | None = None, *,
                 normalize: bool = True) -> torch.Tensor:
    """Circular low-pass: K(r) = wc J1(wc r) / (2 pi r), K(0) = wc^2 / (4 pi)."""
    xx, yy = _grid(size, cutoff.device)
    r = torch.sqrt(xx**2 + yy**2)
    wc = cutoff.view(-1, 1, 1).to(torch.float64)
    safe_r = torch.where(r == 0, torch.ones_like(r), r)
    k = wc * torch.special.bessel_j1(wc * safe_r) / (2 * math.pi * safe_r)
    k = torch.where(r == 0, wc**2 / (4 * math.pi), k)
    return _finish(k, ks, size, normalize)

