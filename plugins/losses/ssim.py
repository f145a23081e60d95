"""MS-SSIM and the MS-SSIM + L1 mix of Zhao et al., "Loss Functions for Image Restoration with
Neural Networks" (IEEE TCI 2017).

As in the paper, the M = 5 scales are Gaussian windows of growing width, sigma_j in
(0.5, 1, 2, 4, 8), all evaluated at full resolution, so every pixel p gets its own value
(per channel, windows truncated at +-2 sigma_M and zero-padded at the border)::

    mu_x = G_j * x,  s_x^2 = G_j * x^2 - mu_x^2,  s_xy = G_j * (x y) - mu_x mu_y
    l_j(p) = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1),  cs_j(p) = (2 s_xy + C2) / (s_x^2 + s_y^2 + C2)
    MS-SSIM(p) = l_M(p) * prod_j cs_j(p)                     (exponents 1, as in the paper)
    ms_ssim:    weight * mean_p (1 - MS-SSIM(p))
    ms_ssim_l1: weight * mean_p (alpha (1 - MS-SSIM(p)) + (1 - alpha) (G_M * |x - y|)(p)),  alpha = 0.84

with C1 = (0.01 R)^2, C2 = (0.03 R)^2 and R = data_range (1 for [0,1] images).
"""

from __future__ import annotations

import math
from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.losses.base import TargetLoss

SIGMAS = (0.5, 1.0, 2.0, 4.0, 8.0)


@attrs.frozen
class MSSSIMLossParams:
    """Options of ``ms_ssim``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    sigmas: tuple[float, ...] = param(SIGMAS, gt=0, help="Gaussian sigma of each scale, smallest first (Zhao et al.)")
    data_range: float = param(1.0, gt=0, help="value range of the images (C1, C2 scale with it)")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")
    name: str | None = param(None, help="name of the logged term (default l_g_ms_ssim)")

    def validate(self) -> None:
        if not self.sigmas:
            raise ParamError("sigmas", "at least one scale is needed")
        if list(self.sigmas) != sorted(self.sigmas):
            raise ParamError("sigmas", f"must be in increasing order (the last is sigma_M), got {list(self.sigmas)}")


@attrs.frozen
class MSSSIML1LossParams(MSSSIMLossParams):
    """Options of ``ms_ssim_l1``."""

    alpha: float = param(0.84, ge=0, le=1, help="share of the MS-SSIM term; 1 - alpha goes to the Gaussian-weighted L1")


def gaussian_kernels(sigmas: tuple[float, ...]) -> torch.Tensor:
    """M x k normalised 1-D Gaussians, one per sigma, k = 2 * ceil(2 * max(sigmas)) + 1."""
    radius = math.ceil(2.0 * max(sigmas))
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-(x[None] ** 2) / (2 * torch.tensor(sigmas, dtype=torch.float64)[:, None] ** 2))
    return (g / g.sum(1, keepdim=True)).float()


def gaussian_blur(t: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Every image channel blurred by every kernel (separable, zero padding): N x C x H x W -> N x M x C x H x W."""
    m, k = kernels.shape
    c = t.shape[1]
    w = kernels.to(t.device).repeat_interleave(c, 0)  # (M*C) x k, kernel-major like t.repeat below
    out = F.conv2d(t.repeat(1, m, 1, 1), w[:, None, :, None], padding=(k // 2, 0), groups=m * c)
    out = F.conv2d(out, w[:, None, None, :], padding=(0, k // 2), groups=m * c)
    return out.unflatten(1, (m, c))


def ms_ssim_map(x: torch.Tensor, y: torch.Tensor, sigmas: tuple[float, ...], data_range: float = 1.0) -> torch.Tensor:
    """Per-pixel, per-channel MS-SSIM of N x C x H x W images (see the module docstring)."""
    x, y = x.float(), y.float()
    blurred = gaussian_blur(torch.cat([x, y, x * x, y * y, x * y], 1), gaussian_kernels(sigmas))
    mx, my, exx, eyy, exy = blurred.chunk(5, dim=2)
    sxx, syy, sxy = exx - mx * mx, eyy - my * my, exy - mx * my
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    lum = (2 * mx[:, -1] * my[:, -1] + c1) / (mx[:, -1] ** 2 + my[:, -1] ** 2 + c1)
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    return lum * cs.prod(dim=1)


class MSSSIMLoss(TargetLoss):
    """``weight * mean(1 - MS-SSIM)``, or with ``alpha`` < 1 the MS-SSIM-L1 mix (module docstring)."""

    full_precision = True

    default_name = "l_g_ms_ssim"

    def __init__(self, params: MSSSIMLossParams) -> None:
        super().__init__(params)
        self.term = params.name or self.default_name
        self.alpha = getattr(params, "alpha", 1.0)

    def terms(self, x: torch.Tensor, y: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        p = self.params
        loss = 1 - ms_ssim_map(x, y, p.sigmas, p.data_range)
        if self.alpha < 1:
            l1 = gaussian_blur((x - y).abs(), gaussian_kernels(p.sigmas[-1:]))[:, 0]
            loss = self.alpha * loss + (1 - self.alpha) * l1 / p.data_range
        return {self.term: p.weight * loss.mean()}


class MSSSIML1Loss(MSSSIMLoss):
    """``ms_ssim_l1``: alpha (1 - MS-SSIM) + (1 - alpha) G_M * |sr - target|, alpha 0.84."""

    default_name = "l_g_ms_ssim_l1"
