"""Losses against their definitions (reference §3): pixel, perceptual (+ Gram style), GAN."""

from __future__ import annotations

import math

import pytest
import torch

from esrgan_core.features.vgg import VGGFeatures, VGGFeaturesParams
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_plugins.losses import (
    CharbonnierLoss,
    CharbonnierLossParams,
    GANLoss,
    GANLossParams,
    L1Loss,
    MSELoss,
    PerceptualLoss,
    PerceptualLossParams,
    PixelLossParams,
    gram_matrix,
)


def _pair(seed=0, shape=(2, 3, 4, 5)):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g), torch.rand(shape, generator=g)


def test_l1_value_and_gradient_match_definition():
    sr, gt = _pair()
    sr.requires_grad_(True)
    out = L1Loss(PixelLossParams(weight=0.5))(sr=sr, gt=gt)
    assert list(out) == ["l_g_pix"]
    d = (sr - gt).detach()
    expected = 0.5 * sum(abs(v) for v in d.flatten().tolist()) / d.numel()
    assert out["l_g_pix"].item() == pytest.approx(expected, rel=1e-6)
    out["l_g_pix"].backward()
    torch.testing.assert_close(sr.grad, 0.5 * torch.sign(d) / d.numel())


def test_mse_and_sum_reduction():
    sr, gt = _pair(1)
    d = (sr - gt).flatten().tolist()
    mean = MSELoss(PixelLossParams())(sr=sr, gt=gt)["l_g_mse"]
    total = MSELoss(PixelLossParams(reduction="sum", weight=2.0))(sr=sr, gt=gt)["l_g_mse"]
    assert mean.item() == pytest.approx(sum(v * v for v in d) / len(d), rel=1e-6)
    assert total.item() == pytest.approx(2.0 * sum(v * v for v in d), rel=1e-6)


def test_charbonnier_definition_and_finite_gradient_at_zero():
    sr, gt = _pair(2)
    out = CharbonnierLoss(CharbonnierLossParams())(sr=sr, gt=gt)["l_g_charbonnier"]
    d = (sr - gt).flatten().tolist()
    assert out.item() == pytest.approx(sum(math.sqrt(v * v + 1e-12) for v in d) / len(d), rel=1e-6)
    x = gt.clone().requires_grad_(True)
    CharbonnierLoss(CharbonnierLossParams(eps=1e-6))(sr=x, gt=gt)["l_g_charbonnier"].backward()
    assert torch.isfinite(x.grad).all() and (x.grad == 0).all()


def test_pixel_loss_target_and_inputs():
    sr, gt = _pair(3)
    usm = gt * 1.5
    loss = L1Loss(PixelLossParams(target="gt_usm", name="l_g_pix_usm"))
    assert loss.inputs == ("sr", "gt_usm") and not loss.adversarial
    value = loss(sr=sr, gt=gt, gt_usm=usm, fake_logits=torch.zeros(1))["l_g_pix_usm"]
    assert value.item() == pytest.approx((sr - usm).abs().mean().item())
    with pytest.raises(ValueError, match="gt_usm"):
        loss(sr=sr, gt=gt)


def test_weight_zero_switches_a_loss_off():
    sr, gt = _pair()
    loss = L1Loss(PixelLossParams(weight=0.0))
    assert not loss.enabled and loss(sr=sr, gt=gt) == {}
    assert GANLoss(GANLossParams(weight=0.0))(fake_logits=sr) == {}


def test_gram_matrix_matches_direct_sum():
    f = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(4))
    n, c, h, w = f.shape
    g = gram_matrix(f)
    for b in range(n):
        for i in range(c):
            for j in range(c):
                direct = sum(f[b, i, y, x] * f[b, j, y, x] for y in range(h) for x in range(w)) / (c * h * w)
                assert g[b, i, j].item() == pytest.approx(direct.item(), rel=1e-5)


LAYERS = {"conv1_2": 0.1, "conv2_2": 1.0}


def _features(layers=LAYERS):
    # The same seeded random weights the loss builds (random_weights=True stated explicitly).
    return VGGFeatures(VGGFeaturesParams(layers=tuple(layers), random_weights=True))


@pytest.mark.parametrize("criterion", ["l1", "l2", "fro"])
def test_perceptual_and_style_terms_match_definition(criterion):
    sr, gt = _pair(5, (2, 3, 16, 16))
    params = PerceptualLossParams(layer_weights=LAYERS, perceptual_weight=0.7, style_weight=3.0,
                                  criterion=criterion, random_weights=True)
    out = PerceptualLoss(params)(sr=sr, gt=gt)
    fx, fy = _features()(sr), _features()(gt)

    def crit(a, b):
        d = a - b
        return {"l1": d.abs().mean(), "l2": (d * d).mean(), "fro": (d * d).sum().sqrt()}[criterion]

    percep = 0.7 * sum(w * crit(fx[k], fy[k]) for k, w in LAYERS.items())
    style = 3.0 * sum(w * crit(gram_matrix(fx[k]), gram_matrix(fy[k])) for k, w in LAYERS.items())
    assert set(out) == {"l_g_percep", "l_g_style"}
    assert out["l_g_percep"].item() == pytest.approx(percep.item(), rel=1e-5)
    assert out["l_g_style"].item() == pytest.approx(style.item(), rel=1e-5)


def test_perceptual_gradient_reaches_sr_only_and_disabled_terms_are_left_out():
    sr, gt = _pair(6, (1, 3, 8, 8))
    sr.requires_grad_(True)
    gt.requires_grad_(True)
    loss = PerceptualLoss(PerceptualLossParams(layer_weights={"conv1_1": 1.0}, random_weights=True))
    out = loss(sr=sr, gt=gt)
    assert set(out) == {"l_g_percep"}  # style_weight 0 by default
    out["l_g_percep"].backward()
    assert sr.grad is not None and sr.grad.abs().sum() > 0
    assert gt.grad is None
    style_only = PerceptualLoss(PerceptualLossParams(layer_weights={"conv1_1": 1.0}, perceptual_weight=0.0,
                                                     style_weight=1.0, random_weights=True, target="gt_usm"))
    assert style_only.inputs == ("sr", "gt_usm")
    assert set(style_only(sr=sr, gt_usm=gt)) == {"l_g_style"}


def test_perceptual_defaults_follow_the_reference():
    p = PerceptualLossParams()
    assert p.layer_weights == {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1.0, "conv4_4": 1.0, "conv5_4": 1.0}
    assert (p.vgg_type, p.criterion, p.perceptual_weight, p.style_weight, p.random_weights) == ("vgg19", "l1", 1.0, 0.0, False)


def _bce(x, y):
    s = torch.sigmoid(x)
    return -(y * torch.log(s) + (1 - y) * torch.log(1 - s)).mean()


GAN_FORMULAS = {
    # gan_type: (d_real(x), d_fake(x), g(x)) with real label 0.9 and fake label 0.1
    "vanilla": (lambda x: _bce(x, 0.9), lambda x: _bce(x, 0.1), lambda x: _bce(x, 0.9)),
    "lsgan": (lambda x: ((x - 0.9) ** 2).mean(), lambda x: ((x - 0.1) ** 2).mean(), lambda x: ((x - 0.9) ** 2).mean()),
    "wgan": (lambda x: -x.mean(), lambda x: x.mean(), lambda x: -x.mean()),
    "wgan_softplus": (lambda x: torch.log1p(torch.exp(-x)).mean(), lambda x: torch.log1p(torch.exp(x)).mean(),
                      lambda x: torch.log1p(torch.exp(-x)).mean()),
    "hinge": (lambda x: (1 - x).clamp(min=0).mean(), lambda x: (1 + x).clamp(min=0).mean(), lambda x: -x.mean()),
}


@pytest.mark.parametrize("gan_type", sorted(GAN_FORMULAS))
def test_gan_types_match_formulas_and_weight_is_generator_only(gan_type):
    x = torch.randn(2, 1, 6, 6, generator=torch.Generator().manual_seed(7)) * 2
    d_real, d_fake, g = GAN_FORMULAS[gan_type]
    for weight in (0.1, 1.0):
        loss = GANLoss(GANLossParams(gan_type=gan_type, real_label_val=0.9, fake_label_val=0.1, weight=weight))
        assert loss.adversarial and loss.inputs == ("fake_logits",)
        assert loss.d_loss(x, True).item() == pytest.approx(d_real(x).item(), rel=1e-5)
        assert loss.d_loss(x, False).item() == pytest.approx(d_fake(x).item(), rel=1e-5)
        both = loss.discriminator_loss(real_logits=x, fake_logits=-x)
        assert both["l_d_real"].item() == pytest.approx(d_real(x).item(), rel=1e-5)
        assert both["l_d_fake"].item() == pytest.approx(d_fake(-x).item(), rel=1e-5)
        assert loss.g_loss(x).item() == pytest.approx(weight * g(x).item(), rel=1e-5)
        assert loss(fake_logits=x)["l_g_gan"].item() == pytest.approx(weight * g(x).item(), rel=1e-5)


def test_gan_generator_gradient_is_weighted():
    x = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(8), requires_grad=True)
    GANLoss(GANLossParams(gan_type="wgan", weight=0.1))(fake_logits=x)["l_g_gan"].backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, -0.1 / x.numel()))


def test_losses_are_registered_and_built_from_config():
    host = load_plugins()
    reg = host.registries["losses"]
    for name in ("l1", "mse", "charbonnier", "perceptual", "gan"):
        assert name in reg
    entry = reg.get("gan")
    loss = entry.factory(from_dict(entry.params, {"gan_type": "hinge", "weight": 0.5}))
    assert isinstance(loss, GANLoss) and loss.params.weight == 0.5
    entry = reg.get("perceptual")
    params = from_dict(entry.params, {"layer_weights": {"conv1_1": 1.0}, "random_weights": True})
    assert isinstance(entry.factory(params), PerceptualLoss)


def test_bad_loss_options_are_config_errors():
    from esrgan_core.errors import ConfigError

    with pytest.raises(ConfigError, match="weight"):
        from_dict(PixelLossParams, {"weight": -1})
    with pytest.raises(ConfigError, match="conv9_9"):
        from_dict(PerceptualLossParams, {"layer_weights": {"conv9_9": 1.0}})
    with pytest.raises(ConfigError, match="gan_type"):
        from_dict(GANLossParams, {"gan_type": "ragan"})
