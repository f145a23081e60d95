"""Adversarial loss (reference: BasicSR GANLoss).

The weight applies to the generator side only; discriminator losses are returned unweighted, as in
the reference. A trainer uses it without knowing its name:

- ``loss.adversarial`` is True, so the trainer also trains a discriminator with it;
- generator step: ``loss(fake_logits=D(sr))`` -> ``{"l_g_gan": weight * g_loss}`` (like any loss),
  or ``loss.g_loss(fake_logits)`` -> the same weighted scalar;
- discriminator step: ``loss.d_loss(logits, is_real)`` -> unweighted scalar per side (call it for
  the real and the fake batch, backward each, as the reference does), or
  ``loss.discriminator_loss(real_logits, fake_logits)`` -> ``{"l_d_real": ..., "l_d_fake": ...}``.

Formulas (x = logits, mean over every element; labels real_label_val / fake_label_val):
vanilla BCE-with-logits(x, label); lsgan MSE(x, label); wgan -mean(x) real, +mean(x) fake;
wgan_softplus mean softplus(-x) real, mean softplus(x) fake; hinge D: mean relu(1-x) real,
mean relu(1+x) fake, G: -mean(x). For every other type the generator loss is the "real" loss of
the fake logits.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.schema import param
from esrgan_plugins.losses.base import Loss

GanType = Literal["vanilla", "lsgan", "wgan", "wgan_softplus", "hinge"]


@attrs.frozen
class GANLossParams:
    """Options of ``gan``."""

    gan_type: GanType = param("vanilla", help="vanilla (BCE), lsgan, wgan, wgan_softplus or hinge")
    real_label_val: float = param(1.0, help="target label of real logits (vanilla, lsgan)")
    fake_label_val: float = param(0.0, help="target label of fake logits (vanilla, lsgan)")
    weight: float = param(0.1, ge=0, help="weight of the generator term l_g_gan (official Real-ESRGAN: 0.1); 0 = off")


class GANLoss(Loss):
    """Generator and discriminator losses for one ``gan_type``; see the module docstring."""

    inputs = ("fake_logits",)
    adversarial = True

    def __init__(self, params: GANLossParams) -> None:
        super().__init__()
        self.params = params
        self.weight = params.weight

    def d_loss(self, logits: torch.Tensor, is_real: bool) -> torch.Tensor:
        """Unweighted loss of discriminator logits that should read as real (True) or fake (False)."""
        t = self.params.gan_type
        x = logits.float()
        if t in ("vanilla", "lsgan"):
            label = self.params.real_label_val if is_real else self.params.fake_label_val
            target = torch.full_like(x, label)
            return F.binary_cross_entropy_with_logits(x, target) if t == "vanilla" else F.mse_loss(x, target)
        if t == "wgan":
            return -x.mean() if is_real else x.mean()
        if t == "wgan_softplus":
            return F.softplus(-x).mean() if is_real else F.softplus(x).mean()
        return F.relu(1 - x).mean() if is_real else F.relu(1 + x).mean()  # hinge

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Weighted generator loss: the fake logits should read as real (hinge: -mean(x))."""
        if self.params.gan_type == "hinge":
            raw = -fake_logits.float().mean()
        else:
            raw = self.d_loss(fake_logits, True)
        return self.params.weight * raw

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{"l_d_real": d_loss(real, True), "l_d_fake": d_loss(fake, False)}``, unweighted."""
        return {"l_d_real": self.d_loss(real_logits, True), "l_d_fake": self.d_loss(fake_logits, False)}

    def forward(self, **tensors: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.enabled:
            return {}
        return {"l_g_gan": self.g_loss(self.take(tensors, "fake_logits"))}
