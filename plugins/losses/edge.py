"""``sobel_edge``: L1 between the Sobel gradients of the output and the target.

With the Sobel kernels ``Kx = [[-1,0,1],[-2,0,2],[-1,0,1]]`` and ``Ky = Kx^T`` applied per channel
(replicate padding, so the output has the image's size)::

    l_g_edge = weight * mean over {x, y}, N, C, H, W of |K_d * sr - K_d * gt|

(Sobel & Feldman 1968; used as an edge loss e.g. in traiNNer-redux and neosr).
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.schema import param
from esrgan_plugins.losses.base import TargetLoss

SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


@attrs.frozen
class SobelEdgeLossParams:
    """Options of ``sobel_edge``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")


def sobel(x: torch.Tensor) -> torch.Tensor:
    """N x C x H x W -> N x 2 x C x H x W: the x and y Sobel responses per channel."""
    n, c, h, w = x.shape
    kx = torch.tensor(SOBEL_X, dtype=torch.float32, device=x.device)
    k = torch.stack([kx, kx.t()])[:, None].repeat(c, 1, 1, 1)  # (2c) x 1 x 3 x 3: c0x, c0y, c1x, ...
    out = F.conv2d(F.pad(x.float(), (1, 1, 1, 1), mode="replicate"), k, groups=c)
    return out.reshape(n, c, 2, h, w).transpose(1, 2)


class SobelEdgeLoss(TargetLoss):
    """``loss(sr=..., gt=...) -> {"l_g_edge": ...}`` (module docstring)."""

    full_precision = True

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        diff = sobel(sr) - sobel(target)
        return {"l_g_edge": self.params.weight * diff.abs().mean()}
