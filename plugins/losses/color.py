"""Colour consistency in Oklab (Ottosson 2020, "A perceptual color space for image processing").

sRGB in [0,1] is linearised (IEC 61966-2-1), mapped to LMS cone responses, cube-rooted and mapped to
``(L, a, b)``: L is the perceived lightness (luma), (a, b) the chroma plane::

    l_g_color_chroma = weight * chroma_weight * mean(|a_sr - a_gt| + |b_sr - b_gt|) / 2
    l_g_color_luma   = weight * luma_weight   * mean |L_sr - L_gt|

so the chroma term ignores a change of lightness alone, and the luma term a change of hue alone.
The cube root uses max(lms, 1e-6) so black pixels keep a finite gradient.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch

from esrgan_core.schema import param
from esrgan_plugins.losses.base import TargetLoss

RGB_TO_LMS = (
    (0.4122214708, 0.5363325363, 0.0514459929),
    (0.2119034982, 0.6806995451, 0.1073969566),
    (0.0883024619, 0.2817188376, 0.6299787005),
)
LMS_TO_LAB = (
    (0.2104542553, 0.7936177850, -0.0040720468),
    (1.9779984951, -2.4285922050, 0.4505937099),
    (0.0259040371, 0.7827717662, -0.8086757660),
)


@attrs.frozen
class ColorLossParams:
    """Options of ``color``."""

    weight: float = param(1.0, ge=0, help="multiplier of both terms; 0 switches the loss off")
    chroma_weight: float = param(1.0, ge=0, help="weight of the Oklab a/b (chroma) L1 term l_g_color_chroma; 0 = off")
    luma_weight: float = param(0.0, ge=0, help="weight of the Oklab L (lightness) L1 term l_g_color_luma; 0 = off")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    """The sRGB transfer function inverted (x in [0,1])."""
    x = x.clamp(0, 1)
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def rgb_to_oklab(rgb01: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W sRGB [0,1] -> N x 3 x H x W Oklab (L in [0,1], a/b about [-0.4, 0.4])."""
    lin = srgb_to_linear(rgb01.float())
    m1 = torch.tensor(RGB_TO_LMS, device=lin.device)
    m2 = torch.tensor(LMS_TO_LAB, device=lin.device)
    lms = torch.einsum("ij,njhw->nihw", m1, lin).clamp_min(1e-6) ** (1 / 3)
    return torch.einsum("ij,njhw->nihw", m2, lms)


class ColorLoss(TargetLoss):
    """``loss(sr=..., gt=...) -> {"l_g_color_chroma": ..., "l_g_color_luma": ...}`` (disabled terms left out)."""

    full_precision = True

    def __init__(self, params: ColorLossParams) -> None:
        super().__init__(params)
        self.weight = params.weight if (params.chroma_weight > 0 or params.luma_weight > 0) else 0.0

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        p = self.params
        diff = (rgb_to_oklab(sr) - rgb_to_oklab(target)).abs()
        out: dict[str, torch.Tensor] = {}
        if p.chroma_weight > 0:
            out["l_g_color_chroma"] = p.weight * p.chroma_weight * diff[:, 1:].mean()
        if p.luma_weight > 0:
            out["l_g_color_luma"] = p.weight * p.luma_weight * diff[:, :1].mean()
        return out
