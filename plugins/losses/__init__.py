"""Built-in losses: l1, mse, charbonnier, perceptual (VGG), gan, ms_ssim, ms_ssim_l1, fft,
focal_frequency, color, sobel_edge, ldl, lpips, dists.

See :mod:`esrgan_plugins.losses.base` for what a trainer can rely on (``inputs``, ``weight``,
``adversarial``, ``loss(**tensors) -> {term: weighted scalar}``) and docs/losses.md for the keys.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_plugins.losses.base import Loss
from esrgan_plugins.losses.color import ColorLoss, ColorLossParams
from esrgan_plugins.losses.dists import DISTSLoss, DISTSLossParams
from esrgan_plugins.losses.edge import SobelEdgeLoss, SobelEdgeLossParams
from esrgan_plugins.losses.frequency import FFTLoss, FFTLossParams, FocalFrequencyLoss, FocalFrequencyLossParams
from esrgan_plugins.losses.gan import GANLoss, GANLossParams
from esrgan_plugins.losses.ldl import LDLLoss, LDLLossParams
from esrgan_plugins.losses.lpips_loss import LPIPSLoss, LPIPSLossParams
from esrgan_plugins.losses.perceptual import PerceptualLoss, PerceptualLossParams, gram_matrix
from esrgan_plugins.losses.pixel import CharbonnierLoss, CharbonnierLossParams, L1Loss, MSELoss, PixelLossParams
from esrgan_plugins.losses.ssim import MSSSIML1Loss, MSSSIML1LossParams, MSSSIMLoss, MSSSIMLossParams

__all__ = [
    "Loss", "GANLoss", "GANLossParams", "PerceptualLoss", "PerceptualLossParams", "gram_matrix",
    "CharbonnierLoss", "CharbonnierLossParams", "L1Loss", "MSELoss", "PixelLossParams",
    "ColorLoss", "ColorLossParams", "SobelEdgeLoss", "SobelEdgeLossParams", "FFTLoss", "FFTLossParams",
    "FocalFrequencyLoss", "FocalFrequencyLossParams", "LDLLoss", "LDLLossParams",
    "DISTSLoss", "DISTSLossParams", "LPIPSLoss", "LPIPSLossParams", "MSSSIML1Loss", "MSSSIML1LossParams", "MSSSIMLoss", "MSSSIMLossParams",
]


@hookimpl
def register_losses(register) -> None:
    register("l1", L1Loss, params=PixelLossParams, help="mean absolute error between sr and gt/gt_usm")
    register("mse", MSELoss, params=PixelLossParams, help="mean squared error between sr and gt/gt_usm")
    register("charbonnier", CharbonnierLoss, params=CharbonnierLossParams, help="sqrt(d^2 + eps) between sr and gt/gt_usm")
    register("perceptual", PerceptualLoss, params=PerceptualLossParams, help="VGG feature (and Gram style) loss")
    register("gan", GANLoss, params=GANLossParams, help="adversarial loss; weight on the generator side only")
    register("ms_ssim", MSSSIMLoss, params=MSSSIMLossParams, help="1 - MS-SSIM (Gaussian scales of Zhao et al.)")
    register("ms_ssim_l1", MSSSIML1Loss, params=MSSSIML1LossParams, help="Zhao et al. mix: 0.84 (1 - MS-SSIM) + 0.16 G*L1")
    register("fft", FFTLoss, params=FFTLossParams, help="L1 of FFT amplitude and wrapped phase")
    register("focal_frequency", FocalFrequencyLoss, params=FocalFrequencyLossParams, help="focal frequency loss (Jiang et al. 2021)")
    register("color", ColorLoss, params=ColorLossParams, help="Oklab chroma (a/b) and lightness L1 terms")
    register("sobel_edge", SobelEdgeLoss, params=SobelEdgeLossParams, help="L1 between Sobel gradients")
    register("ldl", LDLLoss, params=LDLLossParams, help="LDL artefact-map loss (Liang et al. 2022); needs sr_ema")
    register("lpips", LPIPSLoss, params=LPIPSLossParams, help="LPIPS distance (lpips package; backbone via the weights lookup)")
    register("dists", DISTSLoss, params=DISTSLossParams, help="DISTS distance (VGG16 + dists-pytorch alpha/beta)")

