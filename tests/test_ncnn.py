"""ncnn reader: synthetic .param/.bin pairs written from tiny torch networks, and error paths.

The writer below emits the same graph shapes as the ncnn exports of Real-ESRGAN (onnx2ncnn +
ncnnoptimize: fused leaky ReLU on convolutions, PReLU layers, Interp, PixelShuffle), following
the ncnn file format definition: weight blobs carry a 4-byte flag (0 = fp32, 0x01306B47 = fp16
padded to 4 bytes), biases and PReLU slopes are raw fp32.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.ncnn import read_ncnn
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams

LEAKY = "9=2 -23310=1,2.000000e-01"


class NcnnWriter:
    """Collects layer lines and weight bytes; ``save`` writes the .param/.bin pair."""

    def __init__(self, precision: str) -> None:
        self.lines: list[str] = []
        self.blob = bytearray()
        self.blobs: set[str] = set()
        self.precision = precision

    def layer(self, kind: str, name: str, ins: list[str], outs: list[str], params: str = "") -> None:
        self.blobs.update(outs)
        self.lines.append(f"{kind} {name} {len(ins)} {len(outs)} {' '.join(ins + outs)} {params}".rstrip())

    def conv(self, name: str, inp: str, out: str, conv: torch.nn.Conv2d, extra: str = "") -> None:
        w = conv.weight.detach().numpy().astype(np.float32)
        self.layer("Convolution", name, [inp], [out], f"0={w.shape[0]} 1=3 4=1 5=1 6={w.size} {extra}".rstrip())
        if self.precision == "table8":  # 256-entry fp32 table + uint8 indices (weights must be table values)
            table = np.linspace(-0.5, 0.5, 256, dtype=np.float32)
            index = np.searchsorted(table, w.ravel()).astype(np.uint8)
            assert np.array_equal(table[index], w.ravel())
            self.blob += bytes([1, 0, 0, 0]) + table.astype("<f4").tobytes() + index.tobytes() + b"\0" * (-index.size % 4)
        elif self.precision == "fp16":
            data = w.astype("<f2").tobytes()
            self.blob += struct.pack("<I", 0x01306B47) + data + b"\0" * (-len(data) % 4)
        else:
            self.blob += struct.pack("<I", 0) + w.astype("<f4").tobytes()
        self.blob += conv.bias.detach().numpy().astype("<f4").tobytes()

    def save(self, folder: Path, stem: str) -> tuple[Path, Path]:
        param, weights = folder / f"{stem}.param", folder / f"{stem}.bin"
        header = f"7767517\n{len(self.lines)} {len(self.blobs)}\n"
        param.write_text(header + "\n".join(self.lines) + "\n")
        weights.write_bytes(bytes(self.blob))
        return param, weights


def write_srvgg(net: SRVGGNetCompact, folder: Path, precision: str, post_resize: float | None = None) -> tuple[Path, Path]:
    """The graph of REALESRGAN_ANIMAVIDEOV3_*.param: Split, conv/PReLU chain, PixelShuffle, Interp, add."""
    p, w = net.params, NcnnWriter(precision)
    w.layer("Input", "input", [], ["data"])
    w.layer("Split", "split0", ["data"], ["data_0", "data_1"])
    blob, convs = "data_1", [m for m in net.body if isinstance(m, torch.nn.Conv2d)]
    for i, conv in enumerate(convs):
        w.conv(f"Conv_{i}", blob, f"c{i}", conv)
        blob = f"c{i}"
        if conv is not convs[-1]:
            slopes = net.body[2 * i + 1].weight.detach().numpy()
            w.layer("PReLU", f"PRelu_{i}", [blob], [f"a{i}"], f"0={slopes.size}")
            w.blob += slopes.astype("<f4").tobytes()
            blob = f"a{i}"
    w.layer("PixelShuffle", "shuffle", [blob], ["shuffled"], f"0={p.upscale}")
    w.layer("Interp", "Resize_up", ["data_0"], ["up"], f"0=1 1={p.upscale:.6e} 2={p.upscale:.6e}")
    final = "output" if post_resize is None else "sum"
    w.layer("BinaryOp", "Add", ["shuffled", "up"], [final])
    if post_resize is not None:
        w.layer("Interp", "Resize_post", ["sum"], ["output"], f"0=3 1={post_resize:.6e} 2={post_resize:.6e}")
    return w.save(folder, "srvgg")


def write_rrdbnet(net: RRDBNet, folder: Path, precision: str) -> tuple[Path, Path]:
    """The graph of REALESRGAN_X4PLUS_UP4X.param (without Split copies, which the reader resolves anyway)."""
    w, n = NcnnWriter(precision), 0

    def conv(module: torch.nn.Conv2d, inp: str, extra: str = "") -> str:
        nonlocal n
        n += 1
        w.conv(f"Conv_{n}", inp, f"b{n}", module, extra)
        return f"b{n}"

    def eltwise(a: str, b: str) -> str:
        nonlocal n
        n += 1
        w.layer("Eltwise", f"Add_{n}", [a, b], [f"b{n}"], "0=1 -23301=2,2.000000e-01,1.000000e+00")
        return f"b{n}"

    w.layer("Input", "input", [], ["data"])
    first = conv(net.conv("conv_first"), "data")
    x = first
    for i in range(net.params.num_block):
        block_in = x
        for rdb in (f"body.{i}.rdb{j}" for j in (1, 2, 3)):
            feats = [x]
            for k in range(1, 6):
                inp = feats[0]
                if k > 1:
                    n += 1
                    w.layer("Concat", f"Concat_{n}", feats, [f"b{n}"])
                    inp = f"b{n}"
                feats.append(conv(net.conv(f"{rdb}.conv{k}"), inp, LEAKY if k < 5 else ""))
            x = eltwise(feats[-1], x)
        x = eltwise(x, block_in)
    body = conv(net.conv("conv_body"), x)
    w.layer("BinaryOp", "Add_body", [first, body], ["feat"])
    w.layer("Interp", "Resize_1", ["feat"], ["i1"], "0=1 1=2.000000e+00 2=2.000000e+00")
    up1 = conv(net.conv("conv_up1"), "i1", LEAKY)
    w.layer("Interp", "Resize_2", [up1], ["i2"], "0=1 1=2.000000e+00 2=2.000000e+00")
    hr = conv(net.conv("conv_hr"), conv(net.conv("conv_up2"), "i2", LEAKY), LEAKY)
    conv(net.conv("conv_last"), hr)
    return w.save(folder, "rrdb")


def tiny_srvgg(seed: int = 0) -> SRVGGNetCompact:
    torch.manual_seed(seed)
    net = SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=4, act_type="prelu")).eval()
    with torch.no_grad():  # distinct slopes per channel, so a mix-up of PReLU layers would show
        for i in range(1, len(net.body), 2):
            net.body[i].weight.copy_(torch.rand(8, generator=torch.Generator().manual_seed(i)))
    return net


def tiny_rrdbnet(seed: int = 0) -> RRDBNet:
    torch.manual_seed(seed)
    return RRDBNet(RRDBNetParams(num_feat=8, num_block=2, num_grow_ch=4)).eval()


def _expected(net: torch.nn.Module, precision: str) -> dict[str, torch.Tensor]:
    """The state dict as the file stores it: conv weights rounded to fp16 for fp16 files."""
    out = {}
    for key, value in net.state_dict().items():
        rounded = precision == "fp16" and value.ndim == 4
        out[key] = value.half().float() if rounded else value
    return out


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_srvgg_round_trip_gives_the_same_state_dict(tmp_path: Path, precision: str) -> None:
    net = tiny_srvgg()
    sd, info = read_ncnn(*write_srvgg(net, tmp_path, precision))
    assert info["architecture"] == "srvgg_compact"
    assert info["hyperparameters"] == {"num_in_ch": 3, "num_out_ch": 3, "num_feat": 8, "num_conv": 2, "upscale": 4, "act_type": "prelu"}
    assert info["post_resize"] is None and info["weight_precision"] == {"fp16": "float16", "fp32": "float32"}[precision]
    expected = _expected(net, precision)
    assert sd.keys() == expected.keys()
    for key in expected:
        assert sd[key].dtype == torch.float32
        assert torch.equal(sd[key], expected[key]), key
    rebuilt = SRVGGNetCompact(SRVGGParams(**info["hyperparameters"]))
    rebuilt.load_state_dict(sd, strict=True)


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_rrdbnet_round_trip_gives_the_same_network(tmp_path: Path, precision: str) -> None:
    net = tiny_rrdbnet()
    sd, info = read_ncnn(*write_rrdbnet(net, tmp_path, precision))
    assert info["architecture"] == "rrdbnet"
    assert info["hyperparameters"] == {"num_in_ch": 3, "num_out_ch": 3, "scale": 4, "num_feat": 8, "num_block": 2, "num_grow_ch": 4}
    expected = _expected(net, precision)
    assert sd.keys() == expected.keys()
    assert all(torch.equal(sd[k], expected[k]) for k in expected)
    rebuilt = RRDBNet(RRDBNetParams(**info["hyperparameters"])).eval()
    rebuilt.load_state_dict(sd, strict=True)
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        if precision == "fp32":
            assert torch.equal(rebuilt(x), net(x))
        else:
            assert (rebuilt(x) - net(x)).abs().max() < 1e-2


def test_table_quantised_weights_are_expanded(tmp_path: Path) -> None:
    net, table = tiny_srvgg(), np.linspace(-0.5, 0.5, 256, dtype=np.float32)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for conv in net.body[::2]:
            conv.weight.copy_(torch.from_numpy(table)[torch.randint(0, 256, conv.weight.shape, generator=gen)])
    sd, info = read_ncnn(*write_srvgg(net, tmp_path, "table8"))
    assert info["weight_precision"] == "table8"
    assert all(torch.equal(sd[k], v) for k, v in net.state_dict().items())


def test_trailing_resize_is_reported_not_folded_into_the_network(tmp_path: Path) -> None:
    net = tiny_srvgg()
    sd, info = read_ncnn(*write_srvgg(net, tmp_path, "fp32", post_resize=0.5))
    assert info["scale"] == 4 and info["hyperparameters"]["upscale"] == 4
    assert info["post_resize"] == {"mode": "bicubic", "height_scale": 0.5, "width_scale": 0.5}
    assert all(torch.equal(sd[k], v) for k, v in net.state_dict().items())


def test_bin_path_defaults_to_the_param_stem(tmp_path: Path) -> None:
    param, _ = write_srvgg(tiny_srvgg(), tmp_path, "fp32")
    assert read_ncnn(param)[1]["bin_file"] == str(tmp_path / "srvgg.bin")


def test_missing_bin_names_the_file(tmp_path: Path) -> None:
    param, weights = write_srvgg(tiny_srvgg(), tmp_path, "fp32")
    weights.unlink()
    with pytest.raises(ModelFileError, match="srvgg.bin") as err:
        read_ncnn(param)
    assert err.value.file == str(weights)


@pytest.mark.parametrize("cut", [1, 100, 3000])
def test_truncated_bin_names_the_file(tmp_path: Path, cut: int) -> None:
    param, weights = write_srvgg(tiny_srvgg(), tmp_path, "fp16")
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) - cut])
    with pytest.raises(ModelFileError, match="truncated") as err:
        read_ncnn(param, weights)
    assert err.value.file == str(weights)


def test_extra_bytes_in_bin_are_refused(tmp_path: Path) -> None:
    param, weights = write_srvgg(tiny_srvgg(), tmp_path, "fp32")
    weights.write_bytes(weights.read_bytes() + b"\0" * 8)
    with pytest.raises(ModelFileError, match="8 bytes more") as err:
        read_ncnn(param, weights)
    assert err.value.file == str(weights)


def test_int8_weights_are_refused(tmp_path: Path) -> None:
    param, weights = write_srvgg(tiny_srvgg(), tmp_path, "fp32")
    weights.write_bytes(struct.pack("<I", 0x000D4B38) + weights.read_bytes()[4:])
    with pytest.raises(ModelFileError, match="int8"):
        read_ncnn(param, weights)


def test_unsupported_layer_type_names_the_param_file(tmp_path: Path) -> None:
    param, weights = write_srvgg(tiny_srvgg(), tmp_path, "fp32")
    param.write_text(param.read_text().replace("PReLU PRelu_0", "BatchNorm PRelu_0"))
    with pytest.raises(ModelFileError, match="unsupported ncnn layer type BatchNorm") as err:
        read_ncnn(param, weights)
    assert err.value.file == str(param)


def test_unknown_graph_names_the_param_file(tmp_path: Path) -> None:
    param, weights = write_srvgg(tiny_srvgg(), tmp_path, "fp32")
    layers = param.read_text().splitlines()[2:]
    # Drop the nearest-upsampled input: a conv chain with a pixel shuffle but no residual add.
    kept = [line for line in layers if not line.startswith(("Interp", "BinaryOp"))]
    param.write_text(f"7767517\n{len(kept)} {len(kept) + 1}\n" + "\n".join(kept) + "\n")
    with pytest.raises(ModelFileError, match="unknown ncnn graph") as err:
        read_ncnn(param, weights)
    assert err.value.file == str(param)


def test_dense_block_concat_order_is_checked(tmp_path: Path) -> None:
    param, weights = write_rrdbnet(tiny_rrdbnet(), tmp_path, "fp32")
    lines = param.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Concat"))
    kind, name, n_in, n_out, a, b, out = lines[at].split()
    lines[at] = " ".join([kind, name, n_in, n_out, b, a, out])  # [x1, x] instead of [x, x1]
    param.write_text("\n".join(lines) + "\n")
    with pytest.raises(ModelFileError, match="conv2 of a residual dense block"):
        read_ncnn(param, weights)


@pytest.mark.parametrize(
    ("text", "message"),
    [("not a param file\n", "not an ncnn"), ("7767517\n2 2\nInput input 0 1 data\n", "header says 2 layers"),
     ("7767517\n1 1\nInput input 0 x data\n", "malformed ncnn param line 3")],
)
def test_malformed_param_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    param = tmp_path / "bad.param"
    param.write_text(text)
    (tmp_path / "bad.bin").write_bytes(b"")
    with pytest.raises(ModelFileError, match=message) as err:
        read_ncnn(param)
    assert err.value.file == str(param)
