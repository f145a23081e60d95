"""The stage, loss, network and metric of the core-only test plugin (RGB [0,1] NCHW tensors)."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from esrgan_core.degradation import DegradationBatch
from esrgan_core.schema import param


@attrs.frozen
class SaltParams:
    amount: float = param(0.01, ge=0, le=1, help="fraction of LQ pixels set to white")


class SaltStage:
    """``stage(batch, generator) -> batch``: white pixels at random places of ``lq``."""

    def __init__(self, params: SaltParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        lq = batch.lq
        mask = torch.rand(lq.shape[0], 1, *lq.shape[-2:], generator=generator, device=generator.device) < self.params.amount
        batch.lq = torch.where(mask.to(lq.device), torch.ones_like(lq), lq)
        batch.note("salt", {"amount": self.params.amount})
        return batch


@attrs.frozen
class TinyL1Params:
    weight: float = param(1.0, ge=0, help="multiplier; 0 switches the loss off")


class TinyL1(nn.Module):
    """``weight * mean|sr - gt|`` as the term ``l_tiny``."""

    inputs = ("sr", "gt")
    adversarial = False

    def __init__(self, params: TinyL1Params) -> None:
        super().__init__()
        self.weight = params.weight

    def forward(self, **tensors: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"l_tiny": self.weight * (tensors["sr"] - tensors["gt"]).abs().mean()}


@attrs.frozen
class TinyNetParams:
    scale: int = param(4, ge=1, help="upscaling factor")
    num_feat: int = param(4, ge=1, help="hidden channels")


class TinyNet(nn.Module):
    """conv -> relu -> conv, added to the nearest-upsampled input."""

    def __init__(self, params: TinyNetParams) -> None:
        super().__init__()
        self.params = params
        self.conv1 = nn.Conv2d(3, params.num_feat, 3, padding=1)
        self.conv2 = nn.Conv2d(params.num_feat, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=self.params.scale, mode="nearest")
        return up + self.conv2(F.relu(self.conv1(up)))

    @staticmethod
    def describe(params: TinyNetParams) -> dict[str, Any]:
        return {"scale": params.scale, "in_channels": 3, "out_channels": 3}


@attrs.frozen
class MetricParams:
    crop_border: int = param(0, ge=0, help="pixels ignored at each border")


class MeanAbsMetric:
    """Per-image metric: mean |sr - hr| on 8-bit levels (HWC RGB float [0,1] numpy images)."""

    name = "mean_abs"
    higher_is_better = False
    per_image = True

    def __init__(self, params: MetricParams) -> None:
        self.crop = params.crop_border

    def __call__(self, sr: np.ndarray, hr: np.ndarray) -> float:
        a, b = (np.round(np.clip(x, 0, 1) * 255) for x in (sr, hr))
        if self.crop:
            a, b = a[self.crop:-self.crop, self.crop:-self.crop], b[self.crop:-self.crop, self.crop:-self.crop]
        return float(np.abs(a - b).mean())
