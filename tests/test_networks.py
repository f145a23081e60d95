"""Network architectures: sizes, key names and forward passes against the reference definitions (§2)."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import torch.nn.functional as F

from esrgan_core.errors import ConfigError
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_plugins.networks.discriminator import UNetDiscriminatorParams, UNetDiscriminatorSN
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams


def n_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# ---- parameter counts (reference §2; the only tests that build full-size networks) ----------

@pytest.mark.parametrize(("scale", "blocks", "expected"), [
    (4, 23, 16_697_987), (2, 23, 16_703_171), (1, 23, 16_723_907), (4, 6, 4_467_779),
])
def test_rrdbnet_parameter_count_matches_reference(scale: int, blocks: int, expected: int) -> None:
    assert n_params(RRDBNet(RRDBNetParams(scale=scale, num_block=blocks))) == expected


@pytest.mark.parametrize(("num_conv", "expected"), [(32, 1_213_296), (16, 621_424)])
def test_srvgg_parameter_count_matches_reference(num_conv: int, expected: int) -> None:
    assert n_params(SRVGGNetCompact(SRVGGParams(num_conv=num_conv))) == expected


def test_unet_discriminator_parameter_count_matches_reference() -> None:
    assert n_params(UNetDiscriminatorSN(UNetDiscriminatorParams())) == 4_376_897


# ---- state-dict keys and shapes derived from the reference rules ---------------------------

def rrdb_expected_shapes(p: RRDBNetParams) -> dict[str, tuple[int, ...]]:
    factor = {4: 1, 2: 2, 1: 4}[p.scale]
    nf, gc = p.num_feat, p.num_grow_ch
    convs = {"conv_first": (nf, p.num_in_ch * factor**2)}
    for i in range(p.num_block):
        for j in (1, 2, 3):
            for k in range(1, 6):
                convs[f"body.{i}.rdb{j}.conv{k}"] = (nf if k == 5 else gc, nf + (k - 1) * gc)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        convs[name] = (nf, nf)
    convs["conv_last"] = (p.num_out_ch, nf)
    out = {}
    for name, (o, i) in convs.items():
        out[f"{name}.weight"] = (o, i, 3, 3)
        out[f"{name}.bias"] = (o,)
    return out


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_rrdbnet_state_dict_keys_and_shapes_follow_reference(scale: int) -> None:
    p = RRDBNetParams(scale=scale, num_feat=8, num_block=2, num_grow_ch=4)
    sd = RRDBNet(p).state_dict()
    assert {k: tuple(v.shape) for k, v in sd.items()} == rrdb_expected_shapes(p)


@pytest.mark.parametrize("act", ["prelu", "relu", "leakyrelu"])
def test_srvgg_state_dict_keys_follow_reference(act: str) -> None:
    p = SRVGGParams(num_feat=8, num_conv=3, upscale=2, act_type=act)
    sd = SRVGGNetCompact(p).state_dict()
    last = 2 * p.num_conv + 2
    expected = {"body.0.weight": (8, 3, 3, 3), "body.0.bias": (8,)}
    for i in range(2, last, 2):
        expected |= {f"body.{i}.weight": (8, 8, 3, 3), f"body.{i}.bias": (8,)}
    expected |= {f"body.{last}.weight": (3 * 4, 8, 3, 3), f"body.{last}.bias": (12,)}
    if act == "prelu":
        expected |= {f"body.{i}.weight": (8,) for i in range(1, last, 2)}
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected


def test_unet_discriminator_keys_follow_reference() -> None:
    nf = 4
    sd = UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=nf)).state_dict()
    chans = [(3, nf, 3), (nf, 2 * nf, 4), (2 * nf, 4 * nf, 4), (4 * nf, 8 * nf, 4), (8 * nf, 4 * nf, 3),
             (4 * nf, 2 * nf, 3), (2 * nf, nf, 3), (nf, nf, 3), (nf, nf, 3), (nf, 1, 3)]
    expected = {}
    for k, (i, o, ks) in enumerate(chans):
        if k in (0, 9):
            expected |= {f"conv{k}.weight": (o, i, ks, ks), f"conv{k}.bias": (o,)}
        else:
            expected |= {f"conv{k}.weight_orig": (o, i, ks, ks), f"conv{k}.weight_u": (o,), f"conv{k}.weight_v": (i * ks * ks,)}
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected


# ---- initialisation ------------------------------------------------------------------------

def test_rrdbnet_init_scales_only_dense_block_convs() -> None:
    torch.manual_seed(0)
    net = RRDBNet(RRDBNetParams(num_feat=64, num_block=1))
    conv = net.conv("body.0.rdb1.conv1")  # 64 -> 32, fan_in 576
    assert torch.all(conv.bias == 0)
    expected_std = 0.1 * (2.0 / (64 * 9)) ** 0.5
    assert abs(conv.weight.std().item() / expected_std - 1) < 0.05
    # PyTorch default init elsewhere: uniform(+-1/sqrt(fan_in)), biases non-zero
    bound = 1 / (64 * 9) ** 0.5
    conv_body = net.conv("conv_body")
    assert conv_body.weight.abs().max() <= bound and conv_body.bias.abs().sum() > 0


# ---- forward passes against functional re-implementations of §2 ----------------------------

def _rdb_reference(sd: dict[str, torch.Tensor], rdb: str, x: torch.Tensor) -> torch.Tensor:
    feats = [x]
    for k in range(1, 5):
        w, b = sd[f"{rdb}.conv{k}.weight"], sd[f"{rdb}.conv{k}.bias"]
        feats.append(F.leaky_relu(F.conv2d(torch.cat(feats, 1), w, b, padding=1), 0.2))
    return F.conv2d(torch.cat(feats, 1), sd[f"{rdb}.conv5.weight"], sd[f"{rdb}.conv5.bias"], padding=1) * 0.2 + x


def _rrdbnet_reference(net: RRDBNet, x: torch.Tensor, factor: int) -> torch.Tensor:
    """§2's RRDBNet on the BasicSR-named tensors of ``net.state_dict()``."""
    sd = net.state_dict()

    def conv(name: str, t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, sd[f"{name}.weight"], sd[f"{name}.bias"], padding=1)

    if factor > 1:
        b, c, h, w = x.shape  # (b,c,h,s,w,s) -> (b,c,s,s,h,w) as in the reference text
        x = x.view(b, c, h // factor, factor, w // factor, factor).permute(0, 1, 3, 5, 2, 4).reshape(b, -1, h // factor, w // factor)
    feat = conv("conv_first", x)
    body = feat
    for i in range(net.params.num_block):
        y = body
        for j in (1, 2, 3):
            y = _rdb_reference(sd, f"body.{i}.rdb{j}", y)
        body = y * 0.2 + body
    feat = feat + conv("conv_body", body)
    for up in ("conv_up1", "conv_up2"):
        feat = F.leaky_relu(conv(up, F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
    return conv("conv_last", F.leaky_relu(conv("conv_hr", feat), 0.2))


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_rrdbnet_forward_matches_reference_definition(scale: int) -> None:
    torch.manual_seed(1)
    net = RRDBNet(RRDBNetParams(scale=scale, num_feat=8, num_block=2, num_grow_ch=4)).eval()
    x = torch.rand(2, 3, 8, 12)
    with torch.no_grad():
        out = net(x)
        ref = _rrdbnet_reference(net, x, {4: 1, 2: 2, 1: 4}[scale])
    assert out.shape == (2, 3, 8 * scale, 12 * scale)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-6)


@pytest.mark.parametrize("scale", [1, 2])
def test_rrdbnet_odd_sizes_are_reflect_padded_and_cropped(scale: int) -> None:
    torch.manual_seed(2)
    net = RRDBNet(RRDBNetParams(scale=scale, num_feat=8, num_block=1)).eval()
    factor = {2: 2, 1: 4}[scale]
    x = torch.rand(1, 3, 9, 7)
    padded = F.pad(x, (0, (-7) % factor, 0, (-9) % factor), mode="reflect")
    with torch.no_grad():
        out = net(x)
        ref = net(padded)[..., : 9 * scale, : 7 * scale]
    assert out.shape == (1, 3, 9 * scale, 7 * scale)
    assert torch.equal(out, ref)


def test_rrdbnet_x1_accepts_a_one_pixel_input() -> None:
    net = RRDBNet(RRDBNetParams(scale=1, num_feat=4, num_block=1)).eval()
    with torch.no_grad():
        assert net(torch.rand(1, 3, 1, 2)).shape == (1, 3, 1, 2)


@pytest.mark.parametrize("act", ["prelu", "relu", "leakyrelu"])
def test_srvgg_forward_matches_reference_definition(act: str) -> None:
    torch.manual_seed(3)
    net = SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=3, act_type=act)).eval()
    x = torch.rand(1, 3, 5, 6)
    y = x
    for i, layer in enumerate(net.body):
        if i % 2 == 0:
            y = F.conv2d(y, layer.weight, layer.bias, padding=1)
        elif act == "prelu":
            y = torch.where(y >= 0, y, layer.weight.view(1, -1, 1, 1) * y)
        else:
            y = F.leaky_relu(y, 0.0 if act == "relu" else 0.1)
    ref = F.pixel_shuffle(y, 3) + F.interpolate(x, scale_factor=3, mode="nearest")
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref, rtol=0, atol=1e-6)


def test_srvgg_prelu_starts_at_quarter_slope() -> None:
    net = SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=1))
    assert torch.all(net.body[1].weight == 0.25)


def test_unet_discriminator_pads_to_multiple_of_8_and_crops() -> None:
    torch.manual_seed(4)
    net = UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4)).eval()
    x = torch.rand(1, 3, 13, 21)
    with torch.no_grad():
        out = net(x)
        ref = net(F.pad(x, (0, 3, 0, 3), mode="reflect"))[..., :13, :21]
    assert out.shape == (1, 1, 13, 21)
    assert torch.equal(out, ref)


def test_unet_discriminator_skip_connection_changes_output() -> None:
    torch.manual_seed(5)
    a = UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4)).eval()
    b = UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4, skip_connection=False)).eval()
    b.load_state_dict(a.state_dict())
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert not torch.allclose(a(x), b(x))


def test_spectral_norm_power_iteration_runs_each_train_forward_only() -> None:
    torch.manual_seed(6)
    net = UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4))
    x = torch.rand(1, 3, 16, 16)
    u0 = net.conv1.weight_u.clone()
    net(x)
    u1 = net.conv1.weight_u.clone()
    assert not torch.equal(u0, u1)
    net.eval()
    with torch.no_grad():
        net(x)
    assert torch.equal(net.conv1.weight_u, u1)


# ---- detection ------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    RRDBNetParams(scale=4, num_feat=8, num_block=2, num_grow_ch=4),
    RRDBNetParams(scale=2, num_feat=8, num_block=1),
    RRDBNetParams(scale=1, num_feat=8, num_block=3),
    RRDBNetParams(num_in_ch=1, num_out_ch=1, scale=2, num_feat=4, num_block=1),
])
def test_rrdbnet_detect_recovers_hyperparameters(params: RRDBNetParams) -> None:
    assert RRDBNet.detect(RRDBNet(params).state_dict()) == params


@pytest.mark.parametrize("params", [
    SRVGGParams(num_feat=8, num_conv=2, upscale=4),
    SRVGGParams(num_feat=4, num_conv=0, upscale=2),
    SRVGGParams(num_in_ch=1, num_out_ch=1, num_feat=4, num_conv=1, upscale=3),
    SRVGGParams(num_feat=8, num_conv=2, upscale=4, act_type="relu"),
])
def test_srvgg_detect_recovers_hyperparameters(params: SRVGGParams) -> None:
    assert SRVGGNetCompact.detect(SRVGGNetCompact(params).state_dict()) == params


def test_srvgg_detect_reads_leakyrelu_as_relu_since_weights_cannot_tell() -> None:
    sd = SRVGGNetCompact(SRVGGParams(num_feat=4, num_conv=1, act_type="leakyrelu")).state_dict()
    assert SRVGGNetCompact.detect(sd).act_type == "relu"


def test_discriminator_detect_recovers_hyperparameters() -> None:
    p = UNetDiscriminatorParams(num_in_ch=3, num_feat=4)
    assert UNetDiscriminatorSN.detect(UNetDiscriminatorSN(p).state_dict()) == p


def test_detectors_reject_each_others_weights() -> None:
    nets = [RRDBNet(RRDBNetParams(num_feat=4, num_block=1)), SRVGGNetCompact(SRVGGParams(num_feat=4, num_conv=1)),
            UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4))]
    detectors = [RRDBNet.detect, SRVGGNetCompact.detect, UNetDiscriminatorSN.detect]
    for i, net in enumerate(nets):
        hits = [j for j, d in enumerate(detectors) if d(net.state_dict()) is not None]
        assert hits == [i]


# ---- registration ---------------------------------------------------------------------------

def test_networks_are_registered_with_params_classes() -> None:
    reg = load_plugins().registries["networks"]
    for name, cls in (("rrdbnet", RRDBNet), ("srvgg_compact", SRVGGNetCompact), ("unet_discriminator_sn", UNetDiscriminatorSN)):
        assert reg.get(name).factory is cls and callable(cls.detect)
    has_vgg = importlib.util.find_spec("esrgan_core.features.vgg") is not None
    assert ("vgg_features" in reg) == has_vgg


def test_rrdbnet_params_reject_unsupported_scale() -> None:
    with pytest.raises(ConfigError, match="scale"):
        from_dict(RRDBNetParams, {"scale": 3}, path="network_g")


def test_srvgg_params_reject_unknown_activation() -> None:
    with pytest.raises(ConfigError, match="act_type"):
        from_dict(SRVGGParams, {"act_type": "gelu"}, path="network_g")
