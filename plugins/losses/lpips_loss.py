"""``lpips``: Learned Perceptual Image Patch Similarity as a loss (Zhang, Isola, Efros, Shechtman
and Wang, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018).

Through the ``lpips`` package (v0.1): inputs in [0,1] are mapped to [-1,1] and normalised by its
scaling layer; for each backbone layer l the features are unit-normalised over channels,
``d_l = (f_l(sr) - f_l(gt))^2``, weighted per channel by the package's linear layer w_l and
averaged over space::

    LPIPS(x, y) = sum_l mean_hw (w_l . d_l)
    l_g_lpips = weight * mean over the batch of LPIPS(sr, gt)

The linear layers ship inside the ``lpips`` package; the ImageNet backbone (``alex`` ->
``alexnet-owt-7be5be79.pth``, ``vgg`` -> ``vgg16-397923af.pth``) is found through the weights
lookup (esrgan_core.weights: downloaded once, hash-checked, unless offline). ``random_weights: true`` (tests only) uses a seeded random backbone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import torch

from esrgan_core.features.lpips_net import BACKBONES, build_lpips
from esrgan_core.schema import param
from esrgan_core.weights import resolve
from esrgan_plugins.losses.base import TargetLoss


@attrs.frozen
class LPIPSLossParams:
    """Options of ``lpips``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    net: Literal["alex", "vgg"] = param("vgg", help="backbone: vgg (usual for training) or alex")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")
    weights_path: str | None = param(None, help="torchvision backbone file (else ESRGAN_WEIGHTS_DIR / torch hub cache)")
    random_weights: bool = param(False, help="seeded random backbone instead of the ImageNet one (tests only)")

    def preflight(self) -> None:
        """Raise MissingWeightsError now if the backbone file is absent (called before training starts)."""
        backbone(self)


def backbone(params: LPIPSLossParams) -> Path | None:
    """The backbone file of ``params`` (None with random weights); MissingWeightsError if absent."""
    if params.random_weights:
        return None
    return resolve(BACKBONES[params.net], params.weights_path, purpose=f"the lpips loss ({params.net} backbone)")


class LPIPSLoss(TargetLoss):
    """``loss(sr=..., gt=...) -> {"l_g_lpips": ...}`` (module docstring)."""

    def __init__(self, params: LPIPSLossParams) -> None:
        super().__init__(params)
        self.model = build_lpips(params.net, backbone(params))

    def train(self, mode: bool = True) -> LPIPSLoss:
        """Always stays in eval mode (the network is frozen; its dropout stays off)."""
        return super().train(False)

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        value = self.model(sr.float(), target.detach().float(), normalize=True)
        return {"l_g_lpips": self.params.weight * value.mean()}
