"""Built-in losses: l1, mse, charbonnier, perceptual (VGG), gan.

See :mod:`esrgan_plugins.losses.base` for what a trainer can rely on (``inputs``, ``enabled``,
``adversarial``, ``loss(**tensors) -> {term: weighted scalar}``) and docs/losses.md for the keys.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_plugins.losses.base import INPUT_NAMES, Loss
from esrgan_plugins.losses.gan import GANLoss, GANLossParams
from esrgan_plugins.losses.perceptual import PerceptualLoss, PerceptualLossParams, gram_matrix
from esrgan_plugins.losses.pixel import CharbonnierLoss, CharbonnierLossParams, L1Loss, MSELoss, PixelLossParams

__all__ = [
    "INPUT_NAMES", "Loss", "GANLoss", "GANLossParams", "PerceptualLoss", "PerceptualLossParams", "gram_matrix",
    "CharbonnierLoss", "CharbonnierLossParams", "L1Loss", "MSELoss", "PixelLossParams",
]


@hookimpl
def register_losses(register) -> None:
    register("l1", L1Loss, params=PixelLossParams, help="mean absolute error between sr and gt/gt_usm")
    register("mse", MSELoss, params=PixelLossParams, help="mean squared error between sr and gt/gt_usm")
    register("charbonnier", CharbonnierLoss, params=CharbonnierLossParams, help="sqrt(d^2 + eps) between sr and gt/gt_usm")
    register("perceptual", PerceptualLoss, params=PerceptualLossParams, help="VGG feature (and Gram style) loss")
    register("gan", GANLoss, params=GANLossParams, help="adversarial loss; weight on the generator side only")
