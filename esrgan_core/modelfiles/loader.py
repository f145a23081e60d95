"""Load a model from a file or a built-in name: ``load_model(ref) -> LoadedModel``.

Formats by extension: ``.pth``/``.pt``/``.ckpt`` (torch, weights only), ``.safetensors`` (its
metadata's architecture and hyper-parameters win over detection) and ncnn ``.param`` (with the
``.bin`` beside it). A ref that is not an existing path and has no folder part is looked up as a
built-in model name (e.g. ``realesrgan-x4plus``) in the converted-weights cache.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping

import torch

from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.build import build_model
from esrgan_core.modelfiles.description import LoadedModel
from esrgan_core.modelfiles.readers import PTH_SUFFIXES, canonicalize, read_pth, read_safetensors
from esrgan_core.registry import Registries

log = logging.getLogger(__name__)
DEFAULT_PARAM_KEYS = ("params", "params_ema")  # a bare state dict is accepted for these
SUFFIXES = (*PTH_SUFFIXES, ".safetensors", ".param")


def resolve_ref(ref: str | Path) -> tuple[Path, str]:
    """``(file path, source label)`` for a model reference: an existing file or a built-in name."""
    path = Path(ref).expanduser()
    if path.is_file():
        return path, str(path)
    if path.exists():
        raise ModelFileError("is not a file", file=path)
    text = str(ref)
    if "/" not in text and "\\" not in text:
        try:
            from esrgan_core.modelfiles.pretrained import resolve_builtin
        except ImportError:
            resolve_builtin = None
        found = resolve_builtin(text) if resolve_builtin is not None else None
        if found is not None:
            return Path(found), text
        raise ModelFileError("no such file, and not a built-in model name", file=text)
    raise ModelFileError("no such file", file=path)


def _metadata_record(metadata: dict[str, str], file: Path) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if metadata.get("architecture"):
        record["architecture"] = metadata["architecture"]
    if metadata.get("hyperparameters"):
        try:
            record["hyperparameters"] = json.loads(metadata["hyperparameters"])
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"metadata 'hyperparameters' is not valid JSON: {exc}", file=file) from None
    return record


def read_weights(path: str | Path, *, prefer_ema: bool = True) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The canonical state dict of a weight file and what the file records about its model.

    The record may hold ``architecture`` and ``hyperparameters`` (safetensors metadata written by
    :func:`~esrgan_core.modelfiles.writers.save_safetensors`, or the ncnn reader's info).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError("no such file", file=path)
    suffix = path.suffix.lower()
    if suffix in PTH_SUFFIXES:
        return canonicalize(read_pth(path), file=path, prefer_ema=prefer_ema), {}
    if suffix == ".safetensors":
        tensors, metadata = read_safetensors(path)
        return canonicalize(tensors, file=path), _metadata_record(metadata, path)
    if suffix == ".param":
        try:
            from esrgan_core.modelfiles.ncnn import read_ncnn
        except ImportError:
            raise ModelFileError("ncnn support (esrgan_core.modelfiles.ncnn) is not available", file=path) from None
        state_dict, info = read_ncnn(path)
        return canonicalize(state_dict, file=path), dict(info or {})
    if suffix == ".bin":
        raise ModelFileError("an ncnn model is loaded through its .param file (with the .bin beside it)", file=path)
    raise ModelFileError(f"unsupported model file extension {suffix!r}; expected one of {', '.join(SUFFIXES)}", file=path)


def load_state_dict(path: str | Path, *, prefer_ema: bool = True) -> dict[str, torch.Tensor]:
    """The canonical ``{key: tensor}`` weights of a file (CPU; dtype as stored).

    EMA weights (``params_ema``) are taken when present unless ``prefer_ema`` is False; wrapper
    keys and a common ``module.`` prefix are removed.
    """
    return read_weights(path, prefer_ema=prefer_ema)[0]


def read_state_dict(ref: str | Path, param_key: str = "params_ema") -> tuple[dict[str, torch.Tensor], str]:
    """``(state_dict, source)`` of a file path or built-in name, for loading into a network being trained.

    ``param_key`` picks the wrapper key of BasicSR ``.pth`` files; ``params_ema`` falls back to
    ``params`` when the file has no EMA weights (as BasicSR does), and ``params`` prefers ``params``.
    """
    path, source = resolve_ref(ref)
    if path.suffix.lower() in PTH_SUFFIXES:
        obj = read_pth(path)
        if param_key not in DEFAULT_PARAM_KEYS and not (isinstance(obj, Mapping) and param_key in obj):
            keys = ", ".join(repr(k) for k in obj) if isinstance(obj, Mapping) and len(obj) <= 8 else "none of that name"
            raise ModelFileError(f"has no key {param_key!r} (path.param_key); top-level keys: {keys}", file=path)
        if isinstance(obj, Mapping) and param_key in obj:
            obj = obj[param_key]
        elif isinstance(obj, Mapping) and param_key == "params_ema" and "params" in obj:
            log.info("%s has no 'params_ema'; using 'params'", path)
            obj = obj["params"]
        return canonicalize(obj, file=path, prefer_ema=param_key != "params"), source
    if param_key not in DEFAULT_PARAM_KEYS:
        raise ModelFileError(f"param key {param_key!r} only applies to .pth files (wrapper keys); "
                             "leave path.param_key at params", file=path)
    return read_weights(path, prefer_ema=param_key != "params")[0], source


def load_model(ref: str | Path, *, prefer_ema: bool = True, registries: Registries | None = None) -> LoadedModel:
    """Load a model file or built-in name into a network (eval mode, float32, CPU) + description.

    ``registries`` defaults to those of all installed plugins (``load_plugins()``), so networks of
    third-party plugins are detected too; spandrel is the last resort for other architectures.
    Raises ModelFileError (naming the file) for missing, unreadable, unsafe or unknown files.
    """
    path, source = resolve_ref(ref)
    state_dict, record = read_weights(path, prefer_ema=prefer_ema)
    return build_model(state_dict, file=path, source=source, recorded=record, registries=registries)
