"""The ncnn model file format: the ``.param`` text graph and the ``.bin`` weight blob.

``.param``: magic line 7767517, a "layer_count blob_count" line, then one line per layer:
``Type name n_in n_out in_blobs... out_blobs... id=value...``; ids <= -23300 are arrays
``-(23300+id)=count,v1,v2,...``. ``.bin``: per layer, in file order, each weight blob is a 4-byte
flag (0x01306B47 fp16 padded to 4 bytes, 0x000D4B38 int8, 0 or 0x0002C056 fp32, other non-zero:
256-entry fp32 table + uint8 indices) followed by data; biases and PReLU slopes are raw fp32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from esrgan_core.errors import ModelFileError

NCNN_MAGIC = 7767517
TAG_FP16 = 0x01306B47
TAG_INT8 = 0x000D4B38
TAG_FP32_SCALED = 0x0002C056
WEIGHTLESS = {"Input", "Split", "Concat", "Eltwise", "Interp", "PixelShuffle", "BinaryOp", "ReLU", "Noop"}


@dataclass(frozen=True)
class NcnnLayer:
    """One layer line of a .param file; ``params`` maps the integer id to int, float or tuple."""

    type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: dict


def _value(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def _parse_layer(line: str) -> NcnnLayer:
    parts = line.split()
    kind, name, n_in, n_out = parts[0], parts[1], int(parts[2]), int(parts[3])
    blobs = parts[4 : 4 + n_in + n_out]
    if len(blobs) != n_in + n_out:
        raise ValueError(f"layer {name} lists fewer than {n_in + n_out} blobs")
    params: dict = {}
    for item in parts[4 + n_in + n_out :]:
        key, _, raw = item.partition("=")
        pid = int(key)
        if pid <= -23300:  # array parameter: "count,v1,v2,..."
            params[-pid - 23300] = tuple(_value(v) for v in raw.split(",")[1:])
        else:
            params[pid] = _value(raw)
    return NcnnLayer(kind, name, tuple(blobs[:n_in]), tuple(blobs[n_in:]), params)


def parse_param(path: str | Path) -> list[NcnnLayer]:
    """Parse an ncnn .param text file into its layers, in file order."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"cannot read ncnn param file: {exc}", file=path) from None
    if lines[0].strip() != str(NCNN_MAGIC) or len(lines) < 2:
        raise ModelFileError(f"not an ncnn .param text file (first line is not {NCNN_MAGIC})", file=path)
    layers = []
    for lineno, line in enumerate(lines[1:], start=2):
        try:
            if lineno == 2:
                layer_count = int(line.split()[0])
            elif line.strip():
                layers.append(_parse_layer(line))
        except (IndexError, ValueError) as exc:
            raise ModelFileError(f"malformed ncnn param line {lineno}: {exc}", file=path) from None
    if len(layers) != layer_count:
        raise ModelFileError(f"header says {layer_count} layers but the file has {len(layers)}", file=path)
    return layers


class _BinReader:
    """Sequential reader of an ncnn .bin weight blob (little-endian)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.pos = 0
        self.precisions: set[str] = set()

    def _take(self, nbytes: int) -> bytes:
        if self.pos + nbytes > len(self.data):
            raise ModelFileError(
                f"truncated ncnn weight file: it has {len(self.data)} bytes, the graph needs at least {self.pos + nbytes}",
                file=self.path,
            )
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def raw_fp32(self, count: int) -> np.ndarray:
        return np.frombuffer(self._take(4 * count), dtype="<f4").astype(np.float32)

    def weight(self, count: int) -> np.ndarray:
        """A weight blob with its 4-byte flag: fp16, fp32 or a 256-entry quantisation table."""
        flag = self._take(4)
        tag = struct.unpack("<I", flag)[0]
        if tag == TAG_FP16:
            self.precisions.add("float16")
            nbytes = (2 * count + 3) // 4 * 4
            return np.frombuffer(self._take(nbytes)[: 2 * count], dtype="<f2").astype(np.float32)
        if tag == TAG_INT8:
            raise ModelFileError("int8-quantised ncnn weights are not supported", file=self.path)
        if tag == TAG_FP32_SCALED or tag == 0:
            self.precisions.add("float32")
            return self.raw_fp32(count)
        self.precisions.add("table8")
        table = self.raw_fp32(256)
        index = np.frombuffer(self._take((count + 3) // 4 * 4)[:count], dtype=np.uint8)
        return table[index]


def read_layer_weights(layers: list[NcnnLayer], bin_path: Path, param_path: Path) -> tuple[dict[str, list[np.ndarray]], set[str]]:
    """Each layer's weight arrays, read in file order: Convolution weight [+ bias], PReLU slopes.

    Also returns the weight precisions met ("float16", "float32", "table8"). Graph problems name
    ``param_path``, weight-file problems ``bin_path``.
    """
    reader = _BinReader(bin_path)
    out: dict[str, list[np.ndarray]] = {}
    for layer in layers:
        p = layer.params
        if layer.type == "Convolution":
            if p.get(8, 0) or p.get(19, 0):
                raise ModelFileError(f"layer {layer.name}: int8 or dynamic-weight convolution is not supported", file=param_path)
            out_ch, kw = int(p.get(0, 0)), int(p.get(1, 0))
            kh, size = int(p.get(11, kw)), int(p.get(6, 0))
            if out_ch <= 0 or kw <= 0 or size <= 0 or size % (out_ch * kh * kw):
                raise ModelFileError(f"layer {layer.name}: inconsistent convolution parameters", file=param_path)
            arrays = [reader.weight(size).reshape(out_ch, size // (out_ch * kh * kw), kh, kw)]
            if p.get(5, 0):
                arrays.append(reader.raw_fp32(out_ch))
            out[layer.name] = arrays
        elif layer.type == "PReLU":
            out[layer.name] = [reader.raw_fp32(int(p.get(0, 0)))]
        elif layer.type not in WEIGHTLESS:
            raise ModelFileError(f"unsupported ncnn layer type {layer.type} ({layer.name})", file=param_path)
    if reader.pos != len(reader.data):
        raise ModelFileError(
            f"ncnn weight file has {len(reader.data) - reader.pos} bytes more than the .param graph uses", file=bin_path
        )
    return out, reader.precisions
