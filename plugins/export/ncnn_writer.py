"""Write Real-ESRGAN networks as ncnn ``.param``/``.bin`` pairs (what realesrgan-ncnn-vulkan and Upscayl run).

The graphs are those of Real-ESRGAN's own ncnn files (onnx2ncnn + ncnnoptimize), which our reader
(:mod:`esrgan_core.modelfiles.ncnn`) recognises: blob ``data`` in, ``output`` out; 3x3 convolutions
with fused leaky ReLU (``9=2``) or ReLU (``9=1``), ``PReLU`` layers, ``Concat``, ``Eltwise`` (weighted
sums), ``BinaryOp`` adds, nearest ``Interp`` and ``PixelShuffle``. ``Split`` layers are inserted
wherever a blob feeds several layers, as ncnn requires.

Supported: RRDBNet x4 and SRVGGNetCompact (equal in/out channels). Others are refused with a
:class:`NcnnUnsupported` naming the op or architecture (e.g. pixel-unshuffle of RRDBNet x2/x1).
Weights: fp16 (flag 0x01306B47, padded to 4 bytes) or fp32 (flag 0); biases and PReLU slopes fp32.
"""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import torch
from torch import nn

from esrgan_core.modelfiles.ncnn_format import NCNN_MAGIC, TAG_FP16

LEAKY = "9=2 -23310=1,{:e}"
RRDB_SLOPE = 0.2  # RRDBNet's leaky ReLU slope (ESRGAN's definition)


class NcnnUnsupported(ValueError):
    """The network uses an op or architecture the ncnn writer cannot express (the message names it)."""


class NcnnGraph:
    """Layers in order plus the weight bytes; ``save`` adds Splits and writes both files."""

    def __init__(self, fp16: bool = True) -> None:
        self.layers: list[tuple[str, str, list[str], list[str], str]] = []
        self.blob = bytearray()
        self.fp16 = fp16
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def add(self, kind: str, inputs: list[str], params: str = "", output: str | None = None) -> str:
        out = output or self._name("blob")
        self.layers.append((kind, self._name(kind), list(inputs), [out], params))
        return out

    def conv(self, x: str, conv: nn.Conv2d, act: str = "", output: str | None = None) -> str:
        """A 3x3/stride 1/pad 1 convolution with bias; ``act`` is an ncnn fused-activation suffix."""
        k, s, p, d = conv.kernel_size, conv.stride, conv.padding, conv.dilation
        if k != (3, 3) or s != (1, 1) or p != (1, 1) or d != (1, 1) or conv.groups != 1 or conv.bias is None:
            raise NcnnUnsupported(f"Conv2d{tuple(k)} stride {s} pad {p} groups {conv.groups} (only 3x3/1/1 with bias)")
        return self.conv3x3(x, conv.weight, conv.bias, act, output)

    def conv3x3(self, x: str, weight: torch.Tensor, bias: torch.Tensor, act: str = "", output: str | None = None) -> str:
        """A 3x3/stride 1/pad 1 convolution from its weight and bias tensors."""
        w = weight.detach().float().cpu().numpy()
        if self.fp16:
            data = w.astype("<f2").tobytes()
            self.blob += struct.pack("<I", TAG_FP16) + data + b"\0" * (-len(data) % 4)
        else:
            self.blob += struct.pack("<I", 0) + w.astype("<f4").tobytes()
        self.blob += bias.detach().float().cpu().numpy().astype("<f4").tobytes()
        return self.add("Convolution", [x], f"0={w.shape[0]} 1=3 4=1 5=1 6={w.size} {act}".rstrip(), output)

    def prelu(self, x: str, slopes: torch.Tensor) -> str:
        values = slopes.detach().float().cpu().numpy().ravel()
        self.blob += values.astype("<f4").tobytes()
        return self.add("PReLU", [x], f"0={values.size}")

    def lines(self) -> list[str]:
        """The layer lines with a Split after every blob read by more than one layer."""
        uses = Counter(b for _, _, ins, _, _ in self.layers for b in ins)
        seen: Counter = Counter()
        out: list[str] = []
        for kind, name, ins, outs, params in self.layers:
            renamed = []
            for b in ins:
                if uses[b] > 1:
                    renamed.append(f"{b}_splitncnn_{seen[b]}")
                    seen[b] += 1
                else:
                    renamed.append(b)
            out.append(_line(kind, name, renamed, outs, params))
            for b in outs:
                if uses[b] > 1:
                    copies = [f"{b}_splitncnn_{i}" for i in range(uses[b])]
                    out.append(_line("Split", f"splitncnn_{b}", [b], copies, ""))
        return out

    def save(self, param: Path, weights: Path) -> None:
        lines = self.lines()
        blobs = {b for line in lines for b in _line_blobs(line)}
        text = f"{NCNN_MAGIC}\n{len(lines)} {len(blobs)}\n" + "\n".join(lines) + "\n"
        param.write_text(text, encoding="utf-8")
        weights.write_bytes(bytes(self.blob))


def _line(kind: str, name: str, ins: list[str], outs: list[str], params: str) -> str:
    return f"{kind:<24} {name:<24} {len(ins)} {len(outs)} {' '.join(ins + outs)} {params}".rstrip()


def _line_blobs(line: str) -> list[str]:
    parts = line.split()
    n = int(parts[2]) + int(parts[3])
    return parts[4:4 + n]


def _rrdbnet(net: nn.Module, g: NcnnGraph) -> None:
    """RRDBNet x4 from its BasicSR-named tensors (``net.state_dict()``; all its convs are 3x3/1/1)."""
    if getattr(net, "unshuffle", 1) != 1:
        raise NcnnUnsupported(f"pixel-unshuffle (RRDBNet x{net.params.scale}) has no ncnn layer in the Real-ESRGAN "
                              "ncnn runtimes; only RRDBNet x4 can be exported to ncnn")
    sd = net.state_dict()

    def conv(x: str, name: str, act: str = "", output: str | None = None) -> str:
        return g.conv3x3(x, sd[f"{name}.weight"], sd[f"{name}.bias"], act, output)

    leaky = LEAKY.format(RRDB_SLOPE)
    feat = conv("data", "conv_first")
    x = feat
    for i in range(net.params.num_block):
        block_in = x
        for rdb in (f"body.{i}.rdb{j}" for j in (1, 2, 3)):
            feats = [x]
            for k in range(1, 5):
                inp = feats[0] if k == 1 else g.add("Concat", feats, "0=0")
                feats.append(conv(inp, f"{rdb}.conv{k}", leaky))
            x5 = conv(g.add("Concat", feats, "0=0"), f"{rdb}.conv5")
            x = g.add("Eltwise", [x5, x], "0=1 -23301=2,2.000000e-01,1.000000e+00")
        x = g.add("Eltwise", [x, block_in], "0=1 -23301=2,2.000000e-01,1.000000e+00")
    x = g.add("BinaryOp", [feat, conv(x, "conv_body")], "0=0")
    for name in ("conv_up1", "conv_up2"):
        x = conv(g.add("Interp", [x], "0=1 1=2.000000e+00 2=2.000000e+00"), name, leaky)
    conv(conv(x, "conv_hr", leaky), "conv_last", output="output")


def _srvgg(net: nn.Module, g: NcnnGraph) -> None:
    p = net.params
    if p.num_in_ch != p.num_out_ch:
        raise NcnnUnsupported(f"SRVGGNetCompact with {p.num_in_ch} input and {p.num_out_ch} output channels "
                              "(the broadcast add of the upsampled input)")
    convs = [m for m in net.body if isinstance(m, nn.Conv2d)]
    x = "data"
    for i, conv in enumerate(convs):
        act = net.body[2 * i + 1] if conv is not convs[-1] else None
        if isinstance(act, nn.PReLU):
            x = g.prelu(g.conv(x, conv), act.weight)
        elif isinstance(act, nn.LeakyReLU):
            x = g.conv(x, conv, LEAKY.format(act.negative_slope))
        elif isinstance(act, nn.ReLU):
            x = g.conv(x, conv, "9=1")
        else:
            x = g.conv(x, conv)
    up = float(p.upscale)
    shuffled = g.add("PixelShuffle", [x], f"0={p.upscale}")
    nearest = g.add("Interp", ["data"], f"0=1 1={up:e} 2={up:e}")
    g.add("BinaryOp", [shuffled, nearest], "0=0", output="output")


# by canonical architecture name (a network built through the esrgan / compact aliases is described as these)
WRITERS = {"rrdbnet": _rrdbnet, "srvgg_compact": _srvgg}


def ncnn_graph(network: nn.Module, architecture: str, *, fp16: bool = True) -> NcnnGraph:
    """The ncnn graph of ``network`` (our RRDBNet or SRVGGNetCompact); NcnnUnsupported otherwise."""
    writer = WRITERS.get(architecture)
    if writer is None:
        raise NcnnUnsupported(f"architecture {architecture} has no ncnn writer (supported: RRDBNet x4, SRVGGNetCompact); "
                              "export it to ONNX instead")
    g = NcnnGraph(fp16=fp16)
    g.add("Input", [], "", output="data")
    writer(network, g)
    return g

