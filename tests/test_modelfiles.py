"""Model files: save -> load round trips, spandrel interop, canonicalisation, safety, errors, convert."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest
import spandrel
import torch
from safetensors import safe_open

import esrgan_core
from esrgan_core.cli import main
from esrgan_core.errors import ModelFileError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.modelfiles.description import LoadedModel, ModelDescription
from esrgan_core.modelfiles.loader import load_model, load_state_dict
from esrgan_core.modelfiles.writers import network_state_dict, save_pth, save_safetensors
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import param, to_plain
from esrgan_plugins.networks.discriminator import UNetDiscriminatorParams, UNetDiscriminatorSN
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams

TINY = {
    "rrdbnet_x4": lambda: RRDBNet(RRDBNetParams(scale=4, num_feat=8, num_block=1)),
    "rrdbnet_x2": lambda: RRDBNet(RRDBNetParams(scale=2, num_feat=8, num_block=1)),
    "rrdbnet_x1": lambda: RRDBNet(RRDBNetParams(scale=1, num_feat=8, num_block=1)),
    "srvgg_prelu": lambda: SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=4)),
    "srvgg_leakyrelu": lambda: SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=2, act_type="leakyrelu")),
    "discriminator": lambda: UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4)),
    "discriminator_noskip": lambda: UNetDiscriminatorSN(UNetDiscriminatorParams(num_feat=4, skip_connection=False)),
}
# Hyper-parameters the weights cannot show (relu vs leakyrelu, U-Net skips): only safetensors keeps them.
NEEDS_METADATA = {"srvgg_leakyrelu", "discriminator_noskip"}
ROUND_TRIPS = [(n, s) for n in sorted(TINY) for s in (".pth", ".safetensors") if s == ".safetensors" or n not in NEEDS_METADATA]
SPANDREL_COMPATIBLE = ["rrdbnet_x4", "rrdbnet_x2", "rrdbnet_x1", "srvgg_prelu"]


@pytest.fixture(scope="module")
def registries():
    return load_plugins().registries


def tiny(name: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return TINY[name]().eval()


def save(net: torch.nn.Module, path: Path, registries) -> None:
    if path.suffix == ".pth":
        save_pth(path, net.state_dict())
    else:
        description = load_model_from_net(net, registries)
        save_safetensors(path, net.state_dict(), description, iteration=7, config_hash="abc123")


def load_model_from_net(net: torch.nn.Module, registries):
    from esrgan_core.modelfiles.description import describe

    entry = next(e for e in registries["networks"].entries() if e.factory is type(net))
    return describe(entry.name, entry.factory, net.params)


def sample_input(name: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.rand(1, 3, 11, 13, generator=g)  # odd on purpose: x2/x1 pad internally


# ---- round trips ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "suffix"), ROUND_TRIPS)
def test_save_then_load_gives_identical_outputs(name: str, suffix: str, tmp_path: Path, registries) -> None:
    net = tiny(name)
    path = tmp_path / f"model{suffix}"
    save(net, path, registries)
    loaded = load_model(path, registries=registries)
    assert isinstance(loaded, LoadedModel)
    assert not loaded.network.training
    assert all(p.dtype == torch.float32 and p.device.type == "cpu" for p in loaded.network.parameters())
    x = sample_input(name)
    with torch.no_grad():
        diff = (loaded.network(x) - net(x)).abs().max().item()
    assert diff == 0
    assert loaded.network.params == net.params


def test_pth_without_metadata_reads_leakyrelu_compact_as_relu(tmp_path: Path, registries) -> None:
    net = tiny("srvgg_leakyrelu")
    save_pth(tmp_path / "m.pth", net.state_dict())
    assert load_model(tmp_path / "m.pth", registries=registries).description.hyperparameters["act_type"] == "relu"


def test_description_of_loaded_rrdbnet_x2(tmp_path: Path, registries) -> None:
    save_pth(tmp_path / "m.pth", tiny("rrdbnet_x2").state_dict())
    d = load_model(tmp_path / "m.pth", registries=registries).description
    assert (d.architecture, d.scale, d.in_channels, d.out_channels, d.size_multiple) == ("rrdbnet", 2, 3, 3, 2)
    assert d.hyperparameters == {"num_in_ch": 3, "num_out_ch": 3, "scale": 2, "num_feat": 8, "num_block": 1, "num_grow_ch": 32}
    assert d.supports_half and d.supports_bfloat16 and d.source == str(tmp_path / "m.pth")


def test_safetensors_metadata_records_model_and_run(tmp_path: Path, registries) -> None:
    net = tiny("srvgg_prelu")
    save(net, tmp_path / "m.safetensors", registries)
    with safe_open(str(tmp_path / "m.safetensors"), framework="pt") as fh:
        meta = fh.metadata()
    assert meta["architecture"] == "srvgg_compact" and meta["scale"] == "4"
    assert meta["iteration"] == "7" and meta["config_hash"] == "abc123"
    assert meta["esrgan_version"] == esrgan_core.__version__
    assert '"act_type": "prelu"' in meta["hyperparameters"]


# ---- canonicalisation -------------------------------------------------------------------------

def test_params_ema_is_preferred_unless_disabled(tmp_path: Path, registries) -> None:
    a, b = tiny("srvgg_prelu", seed=0), tiny("srvgg_prelu", seed=1)
    save_pth(tmp_path / "m.pth", a.state_dict(), params_ema=b.state_dict())
    x = sample_input("srvgg_prelu")
    with torch.no_grad():
        assert torch.equal(load_model(tmp_path / "m.pth", registries=registries).network(x), b(x))
        assert torch.equal(load_model(tmp_path / "m.pth", prefer_ema=False, registries=registries).network(x), a(x))


def test_wrappers_prefixes_and_non_tensors_are_removed(tmp_path: Path) -> None:
    sd = tiny("srvgg_prelu").state_dict()
    wrapped = {"state_dict": {f"module.{k}": v for k, v in sd.items()}, "iteration": 5, "note": "x"}
    torch.save(wrapped, tmp_path / "w.pth")
    got = load_state_dict(tmp_path / "w.pth")
    assert set(got) == set(sd) and all(torch.equal(got[k], sd[k]) for k in sd)


def test_saved_pth_holds_only_plain_float_tensors(tmp_path: Path) -> None:
    net = tiny("rrdbnet_x4")
    save_pth(tmp_path / "m.pth", dict(net.named_parameters()), params_ema=net.state_dict())
    data = torch.load(tmp_path / "m.pth", weights_only=True)
    assert set(data) == {"params", "params_ema"}
    for group in data.values():
        assert all(type(t) is torch.Tensor and t.is_floating_point() and t.is_contiguous() for t in group.values())


def test_save_pth_refuses_tensors_neither_float_nor_index(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="mask"):
        save_pth(tmp_path / "m.pth", {"mask": torch.tensor([True, False])})
    assert not (tmp_path / "m.pth").exists()
    save_pth(tmp_path / "m.pth", {"relative_position_index": torch.arange(4)})  # SwinIR/HAT/DAT index tables
    assert torch.equal(torch.load(tmp_path / "m.pth", weights_only=True)["params"]["relative_position_index"], torch.arange(4))


# ---- spandrel interop ---------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("name", SPANDREL_COMPATIBLE)
def test_spandrel_loads_our_files_with_same_hyperparameters(name: str, suffix: str, tmp_path: Path, registries) -> None:
    net = tiny(name)
    path = tmp_path / f"m{suffix}"
    save(net, path, registries)
    desc = spandrel.ModelLoader().load_from_file(path)
    scale = net.params.scale if isinstance(net, RRDBNet) else net.params.upscale
    assert (desc.scale, desc.input_channels, desc.output_channels) == (scale, 3, 3)
    hp = desc.model.hyperparameters
    if isinstance(net, RRDBNet):
        assert desc.architecture.id == "ESRGAN"
        assert (hp["num_filters"], hp["num_blocks"]) == (net.params.num_feat, net.params.num_block)
    else:
        assert desc.architecture.id == "Compact"
        assert (hp["num_feat"], hp["num_conv"], hp["act_type"]) == (8, 2, "prelu")
    x = sample_input(name)  # odd size: spandrel's ESRGAN pads x2/x1 by reflection too
    with torch.no_grad():
        torch.testing.assert_close(desc.model(x), net(x), rtol=0, atol=1e-5)


def test_architectures_only_spandrel_knows_load_through_it(tmp_path: Path, registries) -> None:
    from spandrel.architectures.SwiftSRGAN import SwiftSRGAN  # not a registered network here

    torch.manual_seed(0)
    net = SwiftSRGAN(num_channels=8, num_blocks=1, upscale_factor=4).eval()
    save_pth(tmp_path / "swift.pth", net.state_dict())
    loaded = load_model(tmp_path / "swift.pth", registries=registries)
    assert loaded.description.architecture == "spandrel:SwiftSRGAN" and loaded.description.scale == 4
    assert not any(p.requires_grad for p in loaded.network.parameters())
    x = torch.rand(1, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(x), net(x), rtol=0, atol=1e-5)
    save_safetensors(tmp_path / "swift.safetensors", network_state_dict(loaded.network), loaded.description)
    again = load_model(tmp_path / "swift.safetensors", registries=registries)
    assert again.description.architecture == "spandrel:SwiftSRGAN"


def test_old_arch_esrgan_keys_load_as_the_trainable_rrdbnet(tmp_path: Path, registries) -> None:
    """One RRDBNet: old-arch keys are renamed when read and detected as the one description (rrdbnet)."""
    net = tiny("rrdbnet_x4")
    old_keys = spandrel.ModelLoader().load_from_state_dict(net.state_dict()).model.state_dict()  # "model.0.weight", ...
    save_pth(tmp_path / "old.pth", old_keys)
    loaded = load_model(tmp_path / "old.pth", registries=registries)
    assert loaded.description.architecture == "rrdbnet" and loaded.description.scale == 4
    assert loaded.description.hyperparameters == to_plain(net.params)
    assert list(loaded.network.state_dict()) == list(net.state_dict())  # BasicSR keys again
    x = sample_input("rrdbnet_x4")
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(x), net(x), rtol=0, atol=1e-5)


def test_a_file_the_esrgan_alias_wrote_with_old_arch_keys_reopens_as_rrdbnet(tmp_path: Path, registries) -> None:
    """What a run with ``network_g: {type: esrgan}`` saved before RRDBNet became one network: spandrel's
    old-arch keys, metadata naming ``esrgan`` and its preset options. It reopens, described as rrdbnet."""
    net = tiny("rrdbnet_x4")
    old_keys = spandrel.ModelLoader().load_from_state_dict(net.state_dict()).model.state_dict()
    hyper = {"preset": "lite", "scale": 4, "num_in_ch": 3, "num_out_ch": 3, "num_filters": 8, "num_blocks": 1}
    recorded = ModelDescription(architecture="esrgan", scale=4, in_channels=3, out_channels=3, hyperparameters=hyper)
    save_safetensors(tmp_path / "old.safetensors", old_keys, recorded)
    loaded = load_model(tmp_path / "old.safetensors", registries=registries)
    assert loaded.description.architecture == "rrdbnet" and loaded.description.hyperparameters == to_plain(net.params)
    x = sample_input("rrdbnet_x4")
    with torch.no_grad():
        assert torch.equal(loaded.network(x), net(x))


# ---- third-party detection ---------------------------------------------------------------------

@attrs.frozen
class _ToyParams:
    num_in_ch: int = param(3)


class _ToyNet(torch.nn.Module):
    def __init__(self, params: _ToyParams) -> None:
        super().__init__()
        self.params = params
        self.toy_conv = torch.nn.Conv2d(params.num_in_ch, params.num_in_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.toy_conv(x)

    @staticmethod
    def detect(sd):
        return _ToyParams(num_in_ch=sd["toy_conv.weight"].shape[0]) if "toy_conv.weight" in sd else None


class _ToyPlugin:
    @hookimpl
    def register_networks(self, register):
        register("toy_net", _ToyNet, params=_ToyParams)


def test_third_party_networks_take_part_in_detection(tmp_path: Path) -> None:
    host = load_plugins(extra_plugins=[("toy", _ToyPlugin())])
    save_pth(tmp_path / "toy.pth", _ToyNet(_ToyParams(num_in_ch=2)).state_dict())
    loaded = load_model(tmp_path / "toy.pth", registries=host.registries)
    assert loaded.description.architecture == "toy_net"
    d = loaded.description  # no describe(): generic fields read off the params
    assert d.hyperparameters == {"num_in_ch": 2} and (d.scale, d.in_channels, d.out_channels) == (1, 2, 2)


# ---- safety and errors -----------------------------------------------------------------------------

class _Payload:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    torch.save({"params": {"conv.weight": torch.zeros(1)}, "x": _Payload(marker)}, evil)
    with pytest.raises(ModelFileError, match="refused") as info:
        load_model(evil)
    assert str(evil) in str(info.value)
    assert not marker.exists()


def _truncated(tmp_path: Path) -> Path:
    full = tmp_path / "full.pth"
    save_pth(full, tiny("srvgg_prelu").state_dict())
    data = full.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.pth"


def _truncated_safetensors(tmp_path: Path) -> Path:
    full = tmp_path / "full.safetensors"
    net = tiny("srvgg_prelu")
    save_safetensors(full, net.state_dict(), load_model_from_net(net, load_plugins().registries))
    data = full.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    return tmp_path / "cut.safetensors"


def _unknown(tmp_path: Path) -> Path:
    save_pth(tmp_path / "unknown.pth", {"mystery.weight": torch.rand(4, 4)})
    return tmp_path / "unknown.pth"


def _write(name: str, data: bytes):
    def make(tmp_path: Path) -> Path:
        (tmp_path / name).write_bytes(data)
        return tmp_path / name
    return make


@pytest.mark.parametrize(("make", "message"), [
    (_truncated, "truncated or corrupt"),
    (_truncated_safetensors, "cannot read as safetensors"),
    (_write("empty.pth", b""), "empty or truncated"),
    (_write("empty.safetensors", b""), "cannot read as safetensors"),
    (_write("model.onnx", b"\x08\x01"), "unsupported model file extension '.onnx'"),
    (_write("model.bin", b"\x00" * 8), "through its .param file"),
    (_unknown, "unknown architecture"),
    (lambda tmp_path: tmp_path / "missing.pth", "no such file"),
])
def test_bad_files_give_one_model_file_error_naming_the_file(make, message: str, tmp_path: Path, registries) -> None:
    path = make(tmp_path)
    with pytest.raises(ModelFileError) as info:
        load_model(path, registries=registries)
    text = str(info.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_unknown_name_is_neither_file_nor_builtin() -> None:
    with pytest.raises(ModelFileError, match="not a built-in model name"):
        load_model("no-such-model-xyz")


def test_recorded_hyperparameters_that_do_not_fit_the_weights_are_reported(tmp_path: Path, registries) -> None:
    net = tiny("srvgg_prelu")
    wrong = attrs.evolve(load_model_from_net(net, registries), hyperparameters={"num_feat": 16, "num_conv": 2})
    save_safetensors(tmp_path / "m.safetensors", net.state_dict(), wrong)
    with pytest.raises(ModelFileError, match="do not fit"):
        load_model(tmp_path / "m.safetensors", registries=registries)


# ---- convert command --------------------------------------------------------------------------------

def test_convert_command_round_trips_between_formats(tmp_path: Path, registries) -> None:
    a, b = tiny("rrdbnet_x2", seed=0), tiny("rrdbnet_x2", seed=1)
    save_pth(tmp_path / "in.pth", a.state_dict(), params_ema=b.state_dict())
    assert main(["convert", str(tmp_path / "in.pth"), str(tmp_path / "ema.safetensors")]) == 0
    assert main(["convert", str(tmp_path / "in.pth"), str(tmp_path / "raw.safetensors"), "--no-ema"]) == 0
    assert main(["convert", str(tmp_path / "ema.safetensors"), str(tmp_path / "back.pth")]) == 0
    x = sample_input("rrdbnet_x2")
    with torch.no_grad():
        for file, ref in (("ema.safetensors", b), ("raw.safetensors", a), ("back.pth", b)):
            assert torch.equal(load_model(tmp_path / file, registries=registries).network(x), ref(x)), file
    back = torch.load(tmp_path / "back.pth", weights_only=True)
    assert set(back) == {"params"}  # what RealESRGANer and BasicSR load
    assert spandrel.ModelLoader().load_from_file(tmp_path / "back.pth").scale == 2


def test_convert_command_rejects_unknown_output_format(tmp_path: Path, capsys) -> None:
    save_pth(tmp_path / "in.pth", tiny("srvgg_prelu").state_dict())
    assert main(["convert", str(tmp_path / "in.pth"), str(tmp_path / "out.onnx")]) == 2
    assert "out.onnx" in capsys.readouterr().err and not (tmp_path / "out.onnx").exists()


@pytest.mark.slow
def test_convert_reads_ncnn_param_input(tmp_path: Path, registries) -> None:
    from esrgan_core.modelfiles.pretrained import lookup_builtin, source_files

    param_file, _ = source_files(lookup_builtin("realesr-animevideov3"))
    assert main(["convert", str(param_file), str(tmp_path / "av3.pth")]) == 0
    direct = load_model(param_file, registries=registries)
    converted = load_model(tmp_path / "av3.pth", registries=registries)
    assert converted.description.hyperparameters == direct.description.hyperparameters
    x = sample_input("srvgg_prelu")
    with torch.no_grad():
        assert torch.equal(converted.network(x), direct.network(x))


@pytest.mark.parametrize("payload", [b"garbage", b"this is not a pickle at all"])
def test_garbage_pth_is_reported_as_unreadable_not_as_refused_code(tmp_path: Path, payload: bytes) -> None:
    bad = tmp_path / "garbage.pth"
    bad.write_bytes(payload)
    with pytest.raises(ModelFileError) as info:
        load_model(bad)
    assert str(bad) in str(info.value) and "cannot read as a torch weight file" in str(info.value)
    assert "refused" not in str(info.value)
