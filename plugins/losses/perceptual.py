"""Perceptual (VGG feature) loss with an optional Gram-matrix style term.

Reference (BasicSR PerceptualLoss): features of ``sr`` and of the detached target are taken from a
frozen VGG; ``percep = perceptual_weight * sum_k w_k * crit(F_k(sr), F_k(target))`` and, when
``style_weight > 0``, ``style = style_weight * sum_k w_k * crit(G(F_k(sr)), G(F_k(target)))`` with
``G(F) = F F^T / (c*h*w)`` (F reshaped to n x c x h*w). ``crit`` is the mean absolute error ("l1"),
the mean squared error ("l2") or the Frobenius norm of the whole difference, batch included ("fro").
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.errors import ParamError
from esrgan_core.features.vgg import LAYER_NAMES, WEIGHT_FILES, VGGFeatures, VGGFeaturesParams
from esrgan_core.schema import param
from esrgan_plugins.losses.backbones import backbone_file
from esrgan_plugins.losses.base import Loss

DEFAULT_LAYER_WEIGHTS = {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1.0, "conv4_4": 1.0, "conv5_4": 1.0}


@attrs.frozen
class PerceptualLossParams:
    """Options of ``perceptual`` (BasicSR's key names)."""

    layer_weights: dict[str, float] = param(factory=lambda: dict(DEFAULT_LAYER_WEIGHTS), help="VGG layer -> weight")
    vgg_type: Literal["vgg19", "vgg16"] = param("vgg19", help="torchvision VGG variant")
    use_input_norm: bool = param(True, help="normalise inputs with the ImageNet mean/std")
    range_norm: bool = param(False, help="inputs are in [-1,1]: map them to [0,1] first")
    perceptual_weight: float = param(1.0, ge=0, help="weight of the feature term (l_g_percep); 0 = off")
    style_weight: float = param(0.0, ge=0, help="weight of the Gram-matrix style term (l_g_style); 0 = off")
    criterion: Literal["l1", "l2", "fro"] = param("l1", help="distance between features")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")
    weights_path: str | None = param(None, help="torchvision VGG weights file (else ESRGAN_WEIGHTS_DIR / torch hub cache)")
    random_weights: bool = param(False, help="seeded random VGG weights instead of ImageNet ones (tests only)")

    def preflight(self) -> None:
        """Raise MissingWeightsError now if the VGG file is absent (called before training starts)."""
        if not self.random_weights:
            backbone_file(WEIGHT_FILES[self.vgg_type], purpose=f"{self.vgg_type.upper()} for the perceptual loss",
                          configured=self.weights_path, config_key="the perceptual loss's weights_path")

    def validate(self) -> None:
        if not self.layer_weights:
            raise ParamError("layer_weights", "at least one layer is needed")
        known = LAYER_NAMES[self.vgg_type]
        for name in self.layer_weights:
            if name not in known:
                raise ParamError("layer_weights", f"unknown {self.vgg_type} layer {name!r}; known: {', '.join(known)}")
            if self.layer_weights[name] < 0:
                raise ParamError(f"layer_weights.{name}", "must be >= 0")


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """``F F^T / (c*h*w)`` per sample: N x C x H x W -> N x C x C (computed in float32)."""
    n, c, h, w = features.shape
    f = features.float().reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def _criterion(name: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if name == "l1":
        return F.l1_loss(a, b)
    if name == "l2":
        return F.mse_loss(a, b)
    return torch.linalg.vector_norm(a - b)  # "fro": over the entire tensor, batch included


class PerceptualLoss(Loss):
    """``loss(sr=..., gt=...|gt_usm=...) -> {"l_g_percep": ..., "l_g_style": ...}`` (disabled terms left out)."""

    def __init__(self, params: PerceptualLossParams) -> None:
        super().__init__()
        params.validate()
        self.params = params
        self.inputs = ("sr", params.target)
        self.weight = max(params.perceptual_weight, params.style_weight)  # 0: both terms off
        order = LAYER_NAMES[params.vgg_type]
        layers = tuple(sorted(params.layer_weights, key=order.index))
        self.vgg = VGGFeatures(
            VGGFeaturesParams(
                layers=layers,
                vgg_type=params.vgg_type,
                use_input_norm=params.use_input_norm,
                range_norm=params.range_norm,
                weights_path=params.weights_path,
                random_weights=params.random_weights,
            ),
            config_key="the perceptual loss's weights_path",
        )

    def forward(self, **tensors: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.enabled:
            return {}
        p = self.params
        feats = self.vgg(self.take(tensors, "sr"))
        with torch.no_grad():
            target_feats = self.vgg(self.take(tensors, p.target).detach())
        out: dict[str, torch.Tensor] = {}
        if p.perceptual_weight > 0:
            percep = sum(w * _criterion(p.criterion, feats[k], target_feats[k]) for k, w in p.layer_weights.items())
            out["l_g_percep"] = p.perceptual_weight * percep
        if p.style_weight > 0:
            style = sum(
                w * _criterion(p.criterion, gram_matrix(feats[k]), gram_matrix(target_feats[k]))
                for k, w in p.layer_weights.items()
            )
            out["l_g_style"] = p.style_weight * style
        return out
