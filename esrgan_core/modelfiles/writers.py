"""Write model files other tools load: Real-ESRGAN/BasicSR ``.pth`` and ``.safetensors``.

Both writers are atomic (a crash never leaves a half-written file under the final name) and store
detached, contiguous CPU copies of the tensors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

import esrgan_core
from esrgan_core.atomic import atomic_path
from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.description import ModelDescription

FORMAT_TAG = "esrgan-model"


def _plain_tensors(state: Mapping[str, torch.Tensor], file: Path, *, floats_only: bool) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise ModelFileError(f"cannot save {key!r}: not a tensor ({type(value).__name__})", file=file)
        if floats_only and not (value.is_floating_point() or value.dtype in (torch.int64, torch.int32)):
            raise ModelFileError(f"cannot save {key!r}: dtype {value.dtype} is not floating point or an index "
                                 "(Real-ESRGAN/spandrel .pth files hold float tensors and int index tables)", file=file)
        # a plain Tensor (not Parameter), own storage: loads under spandrel's restricted unpickler
        out[str(key)] = value.detach().to("cpu").contiguous().clone().as_subclass(torch.Tensor)
    return out


def save_pth(path: str | Path, params: Mapping[str, torch.Tensor], params_ema: Mapping[str, torch.Tensor] | None = None) -> None:
    """Write a BasicSR-style ``{'params': ..., 'params_ema': ...}`` file (``params_ema`` only if given).

    Only float tensors (and int64/int32 index tables such as SwinIR's) on CPU in plain dicts: Real-ESRGAN's ``RealESRGANer`` (which takes
    ``params_ema`` when present) and spandrel's restricted unpickler both load it.
    """
    path = Path(path)
    data: dict[str, Any] = {"params": _plain_tensors(params, path, floats_only=True)}
    if params_ema is not None:
        data["params_ema"] = _plain_tensors(params_ema, path, floats_only=True)
    with atomic_path(path) as tmp:
        torch.save(data, tmp)


def safetensors_metadata(description: ModelDescription, *, iteration: int | None = None,
                         config_hash: str | None = None) -> dict[str, str]:
    """The string metadata :func:`save_safetensors` records (read back by the loader)."""
    meta = {
        "format": FORMAT_TAG,
        "architecture": description.architecture,
        "hyperparameters": json.dumps(description.hyperparameters, sort_keys=True),
        "scale": str(description.scale),
        "in_channels": str(description.in_channels),
        "out_channels": str(description.out_channels),
        "esrgan_version": esrgan_core.__version__,
    }
    if iteration is not None:
        meta["iteration"] = str(int(iteration))
    if config_hash is not None:
        meta["config_hash"] = str(config_hash)
    return meta


def save_safetensors(path: str | Path, state_dict: Mapping[str, torch.Tensor], description: ModelDescription, *,
                     iteration: int | None = None, config_hash: str | None = None,
                     extra_metadata: Mapping[str, str] | None = None) -> None:
    """Write ``state_dict`` as safetensors with metadata naming its architecture and hyper-parameters
    (plus ``extra_metadata``, e.g. the source and licence of a converted built-in model)."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors = _plain_tensors(state_dict, path, floats_only=False)
    meta = safetensors_metadata(description, iteration=iteration, config_hash=config_hash)
    meta.update(extra_metadata or {})
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)


def network_state_dict(network: nn.Module) -> dict[str, torch.Tensor]:
    """The weights to save for a loaded network (spandrel-wrapped ones under spandrel's key names)."""
    export = getattr(network, "export_state_dict", None)
    return dict(export() if callable(export) else network.state_dict())
