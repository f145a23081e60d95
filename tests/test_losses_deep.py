"""lpips and dists as losses: their formulas, known answers, and missing-weight errors.

Backbones use seeded random weights (``random_weights: true``, stated explicitly): the tests pin
the formulas, not the trained networks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from esrgan_core.errors import MissingWeightsError
from esrgan_plugins.losses import DISTSLoss, DISTSLossParams, LPIPSLoss, LPIPSLossParams
from esrgan_plugins.losses.dists import L2Pool, load_alpha_beta
from tests.conftest import needs_extra


def _pair(seed=0, shape=(2, 3, 32, 32)):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g), torch.rand(shape, generator=g)


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """No backbone file anywhere the lookup searches."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("ESRGAN_WEIGHTS_DIR", str(tmp_path / "weights"))


@pytest.fixture(scope="module")
def lpips_loss():
    return LPIPSLoss(LPIPSLossParams(weight=0.5, random_weights=True))


def test_lpips_loss_matches_the_lpips_formula(lpips_loss):
    sr, gt = _pair()
    model = lpips_loss.model
    x, y = model.scaling_layer(2 * sr - 1), model.scaling_layer(2 * gt - 1)
    expected = 0
    for fx, fy, lin in zip(model.net(x), model.net(y), model.lins):
        nx = fx / (fx.square().sum(1, keepdim=True).sqrt() + 1e-10)
        ny = fy / (fy.square().sum(1, keepdim=True).sqrt() + 1e-10)
        w = lin.model[-1].weight  # 1 x C x 1 x 1 (dropout is off in eval mode)
        expected = expected + ((nx - ny).square() * w).sum(1).mean((1, 2))
    value = lpips_loss(sr=sr, gt=gt)["l_g_lpips"]
    assert value.item() == pytest.approx(0.5 * expected.mean().item(), rel=1e-4)
    assert lpips_loss(sr=gt, gt=gt)["l_g_lpips"].item() == pytest.approx(0.0, abs=1e-7)
    lpips_loss.train()
    assert not lpips_loss.model.training, "the frozen network stays in eval mode"
    s = sr.clone().requires_grad_(True)
    lpips_loss(sr=s, gt=gt)["l_g_lpips"].backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0
    assert all(not p.requires_grad for p in lpips_loss.parameters())


def test_l2pool_matches_its_definition():
    x = torch.rand(1, 2, 6, 6, generator=torch.Generator().manual_seed(1))
    g = np.outer([0.5, 1, 0.5], [0.5, 1, 0.5]) / 4.0
    xp = np.pad(x.double().numpy() ** 2, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((1, 2, 3, 3))
    for i in range(3):
        for j in range(3):
            expected[..., i, j] = np.sqrt((xp[..., 2 * i:2 * i + 3, 2 * j:2 * j + 3] * g).sum((-2, -1)) + 1e-12)
    torch.testing.assert_close(L2Pool(2)(x).double(), torch.from_numpy(expected), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def dists_loss():
    return DISTSLoss(DISTSLossParams(weight=2.0, random_weights=True))


def test_dists_loss_matches_the_dists_formula(dists_loss):
    sr, gt = _pair(2)
    fx, fy = dists_loss.features(sr), dists_loss.features(gt)
    assert [f.shape[1] for f in fx] == [3, 64, 128, 256, 512, 512]
    assert all(not isinstance(m, torch.nn.MaxPool2d) for m in dists_loss.modules()), "max-pools are L2 pools"
    alpha, beta = dists_loss.alpha.flatten().double(), dists_loss.beta.flatten().double()
    total = alpha.sum() + beta.sum()
    score = torch.zeros(2, dtype=torch.float64)
    k = 0
    for a, b in zip(fx, fy):
        a, b = a.double().flatten(2), b.double().flatten(2)  # N x C x HW
        c = a.shape[1]
        ma, mb = a.mean(-1), b.mean(-1)
        va, vb = a.var(-1, unbiased=False), b.var(-1, unbiased=False)
        cov = ((a - ma[..., None]) * (b - mb[..., None])).mean(-1)
        s1 = (2 * ma * mb + 1e-6) / (ma ** 2 + mb ** 2 + 1e-6)
        s2 = (2 * cov + 1e-6) / (va + vb + 1e-6)
        score += (alpha[k:k + c] * s1 + beta[k:k + c] * s2).sum(1) / total
        k += c
    expected = 2.0 * (1 - score).mean()
    assert dists_loss(sr=sr, gt=gt)["l_g_dists"].item() == pytest.approx(expected.item(), rel=1e-4)
    assert dists_loss(sr=gt, gt=gt)["l_g_dists"].item() == pytest.approx(0.0, abs=1e-5)
    s = sr.clone().requires_grad_(True)
    dists_loss(sr=s, gt=gt)["l_g_dists"].backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0


def test_dists_reads_the_alpha_beta_the_package_ships(no_weights):
    needs_extra("losses", "DISTS_pytorch")
    alpha, beta = load_alpha_beta(DISTSLossParams())
    assert alpha.shape == beta.shape == (1, 1475, 1, 1) and (alpha > 0).any()


@pytest.mark.parametrize("build,filename", [
    (lambda: LPIPSLoss(LPIPSLossParams(net="vgg")), "vgg16-397923af.pth"),
    (lambda: LPIPSLoss(LPIPSLossParams(net="alex")), "alexnet-owt-7be5be79.pth"),
    (lambda: DISTSLoss(DISTSLossParams()), "vgg16-397923af.pth"),
    (lambda: load_alpha_beta(DISTSLossParams(alpha_beta_path="nope/ab.pt")), "nope/ab.pt"),
])
def test_missing_weights_are_a_one_line_error_naming_the_file(no_weights, build, filename):
    with pytest.raises(MissingWeightsError) as info:
        build()
    message = str(info.value)
    assert "\n" not in message and filename in message


def test_lpips_loss_uses_the_configured_backbone_file(no_weights, tmp_path, monkeypatch):
    # (a file under the official name in the lookup folders must be the official one: docs/weights.md)
    import torchvision

    net = torchvision.models.alexnet()
    torch.save(net.state_dict(), tmp_path / "my_alexnet.pth")
    loss = LPIPSLoss(LPIPSLossParams(net="alex", weights_path=str(tmp_path / "my_alexnet.pth")))
    torch.testing.assert_close(loss.model.net.slice1[0].weight, net.features[0].weight)
    sr, gt = _pair(3)
    assert loss(sr=F.avg_pool2d(sr, 1), gt=gt)["l_g_lpips"] > 0
