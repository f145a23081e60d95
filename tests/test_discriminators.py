"""Every discriminator trains in the ESRGAN trainer unchanged; the D step changes only D."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from esrgan_core.errors import ConfigError
from tests.train_support import batches, context, make_loop, tiny_config

DISCRIMINATORS = {
    "unet_discriminator_sn": {"num_feat": 4},
    "patchgan_sn": {"num_feat": 4, "n_layers": 2, "num_scales": 2},
    "vgg_discriminator": {"num_feat": 4, "input_size": 32},  # tiny_config's gt_size
}


def _params(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.named_parameters()}


@pytest.mark.parametrize("name", sorted(DISCRIMINATORS))
def test_discriminator_trains_with_gan_loss_and_d_step_changes_only_d(tmp_path: Path, name: str) -> None:
    data = tiny_config(tmp_path, stages="esrgan", queue_size=0)
    data["stages"][0]["network_d"] = {"type": name, **DISCRIMINATORS[name]}
    data["stages"][0]["train"]["net_d_init_iters"] = 1  # iteration 1 updates only D
    ctx = context(data)
    loop = make_loop(ctx)
    nets = loop.networks()
    data_iter = batches(loop)
    g0, d0 = _params(nets.generator), _params(nets.discriminator)
    loop.step(next(data_iter))
    assert all(torch.equal(g0[k], v) for k, v in _params(nets.generator).items())
    assert all(not torch.equal(d0[k], v) for k, v in _params(nets.discriminator).items())
    d1 = _params(nets.discriminator)
    for _ in range(3):
        logs = loop.step(next(data_iter))
    assert all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    assert {"l_g_gan", "l_d_real", "l_d_fake"} <= set(logs)
    assert any(not torch.equal(d1[k], v) for k, v in _params(nets.discriminator).items())
    assert any(not torch.equal(g0[k], v) for k, v in _params(nets.generator).items())


def test_multiscale_patchgan_stacks_one_logit_map_per_scale() -> None:
    from esrgan_plugins.networks.patchgan import PatchGANDiscriminator, PatchGANParams

    net = PatchGANDiscriminator(PatchGANParams(num_feat=4, n_layers=2, num_scales=3))
    assert net(torch.rand(2, 3, 64, 64)).shape == (2, 3, 14, 14)  # 64 -s2-> 32 -s2-> 16, then two k4 s1 p1 convs: 15, 14


def test_vgg_discriminator_input_size_must_be_a_multiple_of_32(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrgan")
    data["stages"][0]["network_d"] = {"type": "vgg_discriminator", "input_size": 100}
    with pytest.raises(ConfigError, match="input_size.*multiple of 32"):
        context(data)
