"""``dists``: Deep Image Structure and Texture Similarity as a loss (Ding, Ma, Wang and Simoncelli,
"Image Quality Assessment: Unifying Structure and Texture Similarity", TPAMI 2020).

Features: the input itself and the relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 outputs of an
ImageNet VGG16 whose max-pools are replaced by L2 pooling (``sqrt(g * x^2 + 1e-12)``, g the
normalised 3 x 3 Hann window [.5, 1, .5]^T [.5, 1, .5], stride 2), input normalised with the
ImageNet mean/std. With per-channel spatial means mu, variances s^2 and covariance s_xy of feature
j of stage k (c1 = c2 = 1e-6) and learned weights alpha, beta (normalised by their joint sum)::

    S1_kj = (2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1),  S2_kj = (2 s_xy + c2) / (s_x^2 + s_y^2 + c2)
    DISTS(x, y) = 1 - sum_kj (alpha_kj S1_kj + beta_kj S2_kj)
    l_g_dists = weight * mean over the batch of DISTS(sr, gt)

Files: ``vgg16-397923af.pth`` through the weights lookup, alpha/beta from the ``dists-pytorch``
package (``pip install 'esrgan[losses]'``). ``random_weights: true`` (tests only) uses a seeded
random VGG16 and alpha, beta ~ N(0.1, 0.01) as the reference initialises them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import torch
import torch.nn.functional as F
from torch import nn

from esrgan_core.errors import ModelFileError
from esrgan_core.features.vgg import WEIGHT_FILES, VGGFeatures, VGGFeaturesParams
from esrgan_core.schema import param
from esrgan_plugins.losses.backbones import backbone_file, package_file
from esrgan_plugins.losses.base import TargetLoss

STAGES = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
CHANNELS = (3, 64, 128, 256, 512, 512)


@attrs.frozen
class DISTSLossParams:
    """Options of ``dists``."""

    weight: float = param(1.0, ge=0, help="multiplier of the term; 0 switches the loss off")
    target: Literal["gt", "gt_usm"] = param("gt", help="compare against the plain or the USM-sharpened target")
    weights_path: str | None = param(None, help="torchvision vgg16-397923af.pth (else ESRGAN_WEIGHTS_DIR / torch hub cache)")
    alpha_beta_path: str | None = param(None, help="DISTS alpha/beta file (else the one dists-pytorch ships)")
    random_weights: bool = param(False, help="seeded random VGG16 and alpha/beta instead of the trained ones (tests only)")

    def preflight(self) -> None:
        """Raise MissingWeightsError now if a file is absent (called before training starts)."""
        if not self.random_weights:
            backbone_file(WEIGHT_FILES["vgg16"], purpose="VGG16 for the dists loss", configured=self.weights_path,
                          config_key="the dists loss's weights_path")
            alpha_beta_file(self)


def alpha_beta_file(params: DISTSLossParams) -> Path:
    """The DISTS alpha/beta file: ``alpha_beta_path`` or the one dists-pytorch ships."""
    return package_file("DISTS_pytorch", "weights.pt", purpose="the dists loss (alpha/beta)", extra="losses",
                        configured=params.alpha_beta_path)


class L2Pool(nn.Module):
    """DISTS's L2 pooling: ``sqrt(conv(x^2, hann3x3 / sum, stride 2, pad 1) + 1e-12)`` per channel."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        a = torch.tensor([0.5, 1.0, 0.5])
        g = torch.outer(a, a)
        self.register_buffer("filter", (g / g.sum())[None, None].repeat(channels, 1, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.conv2d(x * x, self.filter.to(x.dtype), stride=2, padding=1, groups=x.shape[1])
        return (out + 1e-12).sqrt()


def load_alpha_beta(params: DISTSLossParams) -> tuple[torch.Tensor, torch.Tensor]:
    """``alpha, beta`` (1 x 1475 x 1 x 1 each) from the file, or seeded random ones."""
    n = sum(CHANNELS)
    if params.random_weights:
        g = torch.Generator().manual_seed(0)
        return 0.1 + 0.01 * torch.randn(1, n, 1, 1, generator=g), 0.1 + 0.01 * torch.randn(1, n, 1, 1, generator=g)
    path = alpha_beta_file(params)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        alpha, beta = state["alpha"].float(), state["beta"].float()
    except Exception as exc:
        raise ModelFileError(f"not a DISTS alpha/beta file: {type(exc).__name__}: {exc}", file=path) from None
    if alpha.shape != (1, n, 1, 1) or beta.shape != (1, n, 1, 1):
        raise ModelFileError(f"alpha/beta must have shape (1, {n}, 1, 1)", file=path)
    return alpha, beta


class DISTSFeatures(nn.Module):
    """``forward(x) -> [x, relu1_2, ..., relu5_3]`` of the L2-pooled VGG16 (x RGB [0,1] NCHW)."""

    def __init__(self, params: DISTSLossParams) -> None:
        super().__init__()
        self.vgg = VGGFeatures(VGGFeaturesParams(layers=STAGES, vgg_type="vgg16", weights_path=params.weights_path,
                                                 random_weights=params.random_weights),
                               config_key="the dists loss's weights_path", purpose="the dists loss")
        for i, layer in enumerate(self.vgg.body):
            if isinstance(layer, nn.MaxPool2d):
                self.vgg.body[i] = L2Pool(self.vgg.body[i - 2].out_channels)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = self.vgg(x)
        return [x, *(feats[name] for name in STAGES)]


def dists(fx: list[torch.Tensor], fy: list[torch.Tensor], alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Per-sample DISTS of two feature lists (module docstring)."""
    c1 = c2 = 1e-6
    total = alpha.sum() + beta.sum()
    alphas, betas = torch.split(alpha / total, CHANNELS, dim=1), torch.split(beta / total, CHANNELS, dim=1)
    score = 0
    for x, y, a, b in zip(fx, fy, alphas, betas):
        mx, my = x.mean((2, 3), keepdim=True), y.mean((2, 3), keepdim=True)
        vx, vy = ((x - mx) ** 2).mean((2, 3), keepdim=True), ((y - my) ** 2).mean((2, 3), keepdim=True)
        cov = (x * y).mean((2, 3), keepdim=True) - mx * my
        s1 = (2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1)
        s2 = (2 * cov + c2) / (vx + vy + c2)
        score = score + (a * s1 + b * s2).sum(1, keepdim=True)
    return 1 - score.flatten()


class DISTSLoss(TargetLoss):
    """``loss(sr=..., gt=...) -> {"l_g_dists": ...}`` (module docstring)."""

    def __init__(self, params: DISTSLossParams) -> None:
        super().__init__(params)
        self.features = DISTSFeatures(params)
        alpha, beta = load_alpha_beta(params)
        self.register_buffer("alpha", alpha, persistent=False)
        self.register_buffer("beta", beta, persistent=False)

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        fx = self.features(sr.float())
        with torch.no_grad():
            fy = self.features(target.detach().float())
        return {"l_g_dists": self.params.weight * dists(fx, fy, self.alpha, self.beta).mean()}
