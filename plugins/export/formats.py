"""Write a loaded model as ONNX, ncnn, safetensors or .pth; ONNX and ncnn files are checked before they count.

Every file is written under a temporary name and renamed only after its check passed, so a failed
export leaves nothing behind (and never replaces a good file of the same name).

ONNX: TorchScript-based exporter (``dynamo=False``): with ``dynamic_axes`` it gives one graph for
any batch, height and width in well under a second, while the dynamo exporter (torch.export)
takes seconds per model and re-targets opsets below 18 through a version converter. Input
``input``, output ``output``, NCHW float32 (or float16 with ``fp16``), H and W multiples of the
recorded ``size_multiple`` (the upscaler pads). Metadata: architecture, scale, size_multiple,
hyperparameters, precision, esrgan version.
"""

from __future__ import annotations

import copy
import json
import warnings
from contextlib import ExitStack
from pathlib import Path

import torch

import esrgan_core
from esrgan_core.atomic import atomic_path
from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.description import LoadedModel
from esrgan_core.upscaling.runtimes import NcnnNetwork, OnnxNetwork, require
from esrgan_plugins.export.check import CheckResult, check_runtime
from esrgan_plugins.export.ncnn_writer import NcnnUnsupported, ncnn_graph

DEFAULT_OPSET = 17
DUMMY_SIDE = 32


def _half(loaded: LoadedModel) -> torch.nn.Module:
    return copy.deepcopy(loaded.network).half().eval()


def _onnx_metadata(loaded: LoadedModel, precision: str) -> dict[str, str]:
    d = loaded.description
    return {"architecture": d.architecture, "scale": str(d.scale), "size_multiple": str(d.size_multiple),
            "hyperparameters": json.dumps(d.hyperparameters, sort_keys=True, default=str), "precision": precision,
            "esrgan_version": esrgan_core.__version__, "input": "input: RGB float [0,1] NCHW", "output": "output"}


def write_onnx(loaded: LoadedModel, path: Path, *, fp16: bool = False, opset: int = DEFAULT_OPSET) -> None:
    """Export ``loaded`` to ``path`` (no check; see :func:`export_onnx`)."""
    onnx = require("onnx")
    net = _half(loaded) if fp16 else loaded.network.eval()
    side = -(-DUMMY_SIDE // loaded.description.size_multiple) * loaded.description.size_multiple
    dummy = torch.rand(1, loaded.description.in_channels, side, side, generator=torch.Generator().manual_seed(0))
    axes = {0: "batch", 2: "height", 3: "width"}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (dummy.to(next(net.parameters(), dummy).dtype),), str(path), input_names=["input"],
                              output_names=["output"], opset_version=opset, dynamo=False,
                              dynamic_axes={"input": axes, "output": axes})
    except Exception as exc:  # torch raises many types; the first line names the op it could not export
        raise ModelFileError(f"ONNX export failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", file=path) from None
    model = onnx.load(str(path))
    for key, value in _onnx_metadata(loaded, "fp16" if fp16 else "fp32").items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))


def export_onnx(loaded: LoadedModel, path: Path, *, fp16: bool = False, opset: int = DEFAULT_OPSET) -> CheckResult:
    """Write and check an ONNX file; raises ModelFileError (no file left) when the check fails."""
    with atomic_path(path) as tmp:
        write_onnx(loaded, tmp, fp16=fp16, opset=opset)
        result = check_runtime(OnnxNetwork(tmp, threads=2), loaded.network, name="onnxruntime",
                               precision="fp16" if fp16 else "fp32", multiple=loaded.description.size_multiple)
        _raise_unless(result, path)
    return result


def export_ncnn(loaded: LoadedModel, param: Path, weights: Path, *, fp16: bool = True) -> CheckResult:
    """Write and check an ncnn pair (``fp16``: fp16 weight storage, as Real-ESRGAN ships its models)."""
    try:
        graph = ncnn_graph(loaded.network, loaded.description.architecture, fp16=fp16)
    except NcnnUnsupported as exc:
        raise ModelFileError(f"cannot export to ncnn: {exc}", file=param) from None
    with ExitStack() as stack:
        tmp_param, tmp_bin = stack.enter_context(atomic_path(param)), stack.enter_context(atomic_path(weights))
        graph.save(tmp_param, tmp_bin)
        result = check_runtime(NcnnNetwork(tmp_param, threads=2, fp16=fp16, weights=tmp_bin), loaded.network, name="ncnn",
                               precision="fp16" if fp16 else "fp32", multiple=loaded.description.size_multiple)
        _raise_unless(result, param)
    return result


def _raise_unless(result: CheckResult, path: Path) -> None:
    if not result.passed:
        raise ModelFileError(f"{result.line()}; the file was not written", file=path)


def export_weights(loaded: LoadedModel, path: Path, *, fp16: bool = False) -> None:
    """``.safetensors`` (with architecture metadata) or Real-ESRGAN ``.pth`` (``{'params': ...}``)."""
    from esrgan_core.modelfiles.writers import network_state_dict, save_pth, save_safetensors

    weights = network_state_dict(loaded.network)
    if fp16:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
    if path.suffix == ".pth":
        save_pth(path, weights)
    else:
        save_safetensors(path, weights, loaded.description)
