"""``ldl``: Locally Discriminative Learning (Liang, Zeng and Zhang, "Details or Artifacts: A Locally
Discriminative Learning Approach to Realistic Image Super-Resolution", CVPR 2022).

With the per-pixel residuals summed over channels, ``r = sum_c |gt - sr|`` and
``r_ema = sum_c |gt - sr_ema|`` (``sr_ema``: the EMA generator's output, which the trainer
provides because this loss lists it in ``inputs``)::

    patch weight   w_patch = var(r over C, H, W of each image) ** (1/5)      (unbiased variance)
    pixel weight   w_pix(p) = var(r over the k x k window at p)              (reflect padding, unbiased)
    artefact map   M = w_patch * w_pix, set to 0 where r < r_ema
    l_g_ldl = weight * mean |M sr - M gt|

M is 0 where sr equals gt and where the error is locally flat; it is large on high-frequency
errors (artefacts) that the EMA model does not make. As in the official code, M is not detached.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.schema import param
from esrgan_plugins.losses.base import TargetLoss


@attrs.frozen
class LDLLossParams:
    """Options of ``ldl``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term (official: 1.0); 0 switches the loss off")
    kernel_size: int = param(7, ge=3, help="odd window size of the local variance (official: 7)")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")

    def validate(self) -> None:
        if self.kernel_size % 2 == 0:
            from esrgan_core.errors import ParamError

            raise ParamError("kernel_size", f"must be odd, got {self.kernel_size}")


def local_variance(r: torch.Tensor, ksize: int) -> torch.Tensor:
    """Unbiased variance of each k x k window (reflect padding): N x 1 x H x W -> N x 1 x H x W."""
    pad = (ksize - 1) // 2
    win = F.pad(r, (pad, pad, pad, pad), mode="reflect").unfold(2, ksize, 1).unfold(3, ksize, 1)
    return win.var(dim=(-1, -2), unbiased=True)


def artifact_map(sr: torch.Tensor, sr_ema: torch.Tensor, gt: torch.Tensor, ksize: int = 7) -> torch.Tensor:
    """The refined artefact map M (N x 1 x H x W) of the module docstring."""
    r = (gt - sr).abs().sum(1, keepdim=True)
    r_ema = (gt - sr_ema).abs().sum(1, keepdim=True)
    patch = r.var(dim=(-1, -2, -3), unbiased=True, keepdim=True).clamp_min(1e-12) ** 0.2  # finite gradient at 0
    weight = patch * local_variance(r, ksize)
    return torch.where(r < r_ema, torch.zeros_like(weight), weight)


class LDLLoss(TargetLoss):
    """``loss(sr=..., sr_ema=..., gt=...) -> {"l_g_ldl": ...}`` (module docstring)."""

    full_precision = True  # sr and gt arrive as float32
    extra_inputs = ("sr_ema",)

    def terms(self, sr: torch.Tensor, gt: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        m = artifact_map(sr, self.take(tensors, "sr_ema").float().detach(), gt, self.params.kernel_size)
        return {"l_g_ldl": self.params.weight * (m * sr - m * gt).abs().mean()}
