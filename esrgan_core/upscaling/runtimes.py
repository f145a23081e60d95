"""Exported model files run by other runtimes, as modules the upscaler calls like a torch network.

``--engine onnxruntime`` runs an ``.onnx`` file (input ``input``, output ``output``, NCHW, float32
or float16) and ``--engine ncnn`` an ncnn ``.param`` with its ``.bin`` (blobs ``data`` in,
``output`` out), both on the CPU. Each :class:`RuntimeNetwork` takes RGB float [0,1] NCHW tensors
and returns float32 NCHW on the input's device, so the tiler, image I/O and batch handling of the
torch path are used unchanged. The runtime packages are optional (pip extra ``export``).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from esrgan_core.errors import ConfigError, ModelFileError
from esrgan_core.modelfiles.description import LoadedModel, ModelDescription

ENGINES = ("torch", "onnxruntime", "ncnn")
PROBE = 32  # side of the probe image used to find the scale of a file without metadata
SUFFIX = {"onnxruntime": ".onnx", "ncnn": ".param"}


def require(module: str, extra: str = "export") -> Any:
    """Import an optional runtime package or raise a one-line ConfigError naming the pip extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"the {module} package is not installed; pip install 'esrgan[{extra}]'", path="engine") from None


class RuntimeNetwork(nn.Module):
    """Base: a parameter-free module that converts tensors to numpy batches and back."""

    inference_only = True

    def __deepcopy__(self, memo: dict) -> RuntimeNetwork:  # sessions cannot be copied; nothing to copy anyway
        return self

    def run(self, batch: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.run(np.ascontiguousarray(x.detach().float().cpu().numpy()))
        return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32)).to(x.device)


class OnnxNetwork(RuntimeNetwork):
    """An ONNX file run by onnxruntime on the CPU (``threads`` intra-op threads, 0 = its default)."""

    def __init__(self, path: str | Path, threads: int = 0) -> None:
        super().__init__()
        ort = require("onnxruntime")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelFileError(f"onnxruntime cannot load it: {str(exc).splitlines()[0][:200]}", file=path) from None
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        self.input_name, self.output_name = inputs[0].name, outputs[0].name
        self.dtype = np.float16 if "float16" in inputs[0].type else np.float32
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: batch.astype(self.dtype)})[0]


class NcnnNetwork(RuntimeNetwork):
    """An ncnn ``.param``/``.bin`` pair run by the ncnn package on the CPU, one image at a time."""

    def __init__(self, param: str | Path, threads: int = 0, fp16: bool = True, weights: str | Path | None = None) -> None:
        super().__init__()
        ncnn = require("ncnn")
        param = Path(param)
        weights = Path(weights) if weights is not None else param.with_suffix(".bin")
        if not weights.is_file():
            raise ModelFileError(f"ncnn weight file {weights.name} is missing (it must lie beside the .param)", file=param)
        self.net = ncnn.Net()
        self.net.opt.use_vulkan_compute = False
        self.net.opt.use_fp16_storage = self.net.opt.use_fp16_packed = self.net.opt.use_fp16_arithmetic = fp16
        if threads:
            self.net.opt.num_threads = threads
        if self.net.load_param(str(param)) != 0 or self.net.load_model(str(weights)) != 0:
            raise ModelFileError("ncnn cannot load this .param/.bin pair", file=param)
        if "data" not in self.net.input_names() or "output" not in self.net.output_names():
            raise ModelFileError(f"ncnn blobs must be 'data' in and 'output' out; found {self.net.input_names()} "
                                 f"and {self.net.output_names()}", file=param)
        self._mat = ncnn.Mat

    def run(self, batch: np.ndarray) -> np.ndarray:
        outs = []
        for image in batch:
            with self.net.create_extractor() as ex:
                ex.input("data", self._mat(np.ascontiguousarray(image)))
                ret, out = ex.extract("output")
                if ret != 0:
                    raise RuntimeError(f"ncnn extract failed with code {ret}")
                outs.append(np.array(out))
        return np.stack(outs)


def runtime_network(engine: str, path: str | Path, threads: int = 0) -> RuntimeNetwork:
    """The runtime module of ``engine`` for the file ``path`` (checked to exist and fit the engine)."""
    if engine not in SUFFIX:
        raise ConfigError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}", path="engine")
    path = Path(path)
    if path.suffix.lower() != SUFFIX[engine]:
        raise ModelFileError(f"--engine {engine} runs {SUFFIX[engine]} files (esrgan-run export MODEL --format "
                             f"{'onnx' if engine == 'onnxruntime' else 'ncnn'} writes one)", file=path)
    if not path.is_file():
        raise ModelFileError("no such file", file=path)
    return OnnxNetwork(path, threads) if engine == "onnxruntime" else NcnnNetwork(path, threads)


def _ncnn_metadata(param: Path) -> dict[str, str]:
    """What our ncnn reader recognises (RRDBNet/SRVGGNetCompact graphs), as ONNX-style metadata; {} otherwise."""
    from esrgan_core.modelfiles.ncnn import read_ncnn

    try:
        _, info = read_ncnn(param)
    except ModelFileError:
        return {}
    if info.get("post_resize"):
        return {}
    return {"scale": str(info["scale"]), "architecture": info["architecture"],
            "hyperparameters": json.dumps(info["hyperparameters"])}


def load_runtime(engine: str, path: str | Path, threads: int = 0) -> LoadedModel:
    """A :class:`LoadedModel` whose network is the runtime module; the description comes from the ONNX
    metadata written by ``esrgan-run export`` or, failing that, from a probe run (scale only)."""
    net = runtime_network(engine, path, threads)
    meta = dict(getattr(net, "metadata", {}))
    if engine == "ncnn":
        meta = _ncnn_metadata(Path(path))
    if "scale" in meta:
        scale, multiple = int(meta["scale"]), int(meta.get("size_multiple", 1))
        arch, hyper = meta.get("architecture", "unknown"), json.loads(meta.get("hyperparameters", "{}"))
    else:
        with torch.no_grad():
            out = net(torch.full((1, 3, PROBE, PROBE), 0.5))
        scale, multiple, arch, hyper = out.shape[-1] // PROBE, 4, "unknown", {}
        if out.shape[-1] % PROBE or scale < 1:
            raise ModelFileError(f"cannot tell the scale: a {PROBE} px probe gave {out.shape[-1]} px", file=path)
    desc = ModelDescription(architecture=arch, scale=scale, in_channels=3, out_channels=3, hyperparameters=hyper,
                            size_multiple=multiple, source=f"{path} ({engine})")
    return LoadedModel(net, desc)
