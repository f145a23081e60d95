"""Read weight files into canonical state dicts. A model file is data: it never runs code.

``.pth``/``.pt``/``.ckpt`` go through ``torch.load(weights_only=True)`` only; a pickle asking for
anything else (a class, a function) is refused before it is called. ``.safetensors`` also yields
its string metadata.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Mapping

import torch

from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.rrdb_keys import from_old_arch

PTH_SUFFIXES = (".pth", ".pt", ".ckpt")
# Wrapper keys unwrapped in this order (EMA weights first, as Real-ESRGAN and spandrel do).
UNWRAP_KEYS = ("params_ema", "params-ema", "params", "state_dict", "model_state_dict", "model", "net")
NO_EMA_KEYS = ("params", "state_dict", "model_state_dict", "model", "net", "params_ema", "params-ema")
PREFIXES = ("module.", "netG.")


def read_pth(path: Path) -> Any:
    """The object stored in a torch pickle file (tensors on CPU), loaded with weights_only=True."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        forbidden = _global_name(str(exc))
        if forbidden is None:
            raise ModelFileError("cannot read as a torch weight file (truncated, corrupt or another format)",
                                 file=path) from None
        raise ModelFileError(f"refused: the file holds Python objects other than tensors ({forbidden}); "
                             "only plain weight files are loaded", file=path) from None
    except EOFError:
        raise ModelFileError("file is empty or truncated", file=path) from None
    except RuntimeError as exc:
        if "TorchScript" in str(exc):
            raise ModelFileError("TorchScript archives are not supported; save a state dict instead", file=path) from None
        raise ModelFileError(f"cannot read as a torch weight file (truncated or corrupt?): {str(exc).splitlines()[0][:160]}",
                             file=path) from None
    except Exception as exc:  # zipfile/struct/unicode errors from damaged files
        raise ModelFileError(f"cannot read as a torch weight file (truncated or corrupt?): {type(exc).__name__}: {exc}",
                             file=path) from None


def _global_name(message: str) -> str | None:
    """The line of torch's refusal that names the forbidden global (not its advice to disable safety);
    None when the refusal is not about a global (the bytes are no pickle of ours at all)."""
    for line in message.splitlines():
        if "global" in line.lower() and "weights_only" not in line:
            return line.strip().rstrip(".")[:200]
    return None


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors (CPU) and string metadata of a ``.safetensors`` file."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            metadata = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except Exception as exc:  # SafetensorError for empty/truncated/garbled headers
        raise ModelFileError(f"cannot read as safetensors (empty, truncated or corrupt?): {exc}", file=path) from None
    return tensors, metadata


def canonicalize(obj: Any, *, file: Path, prefer_ema: bool = True) -> dict[str, torch.Tensor]:
    """The bare ``{key: tensor}`` state dict inside a loaded checkpoint object.

    Unwraps ``params_ema`` (or, with ``prefer_ema=False``, ``params`` first), ``state_dict``,
    ``model_state_dict``, ``model``, ``net`` and single-key wrappers, strips a common ``module.``
    or ``netG.`` prefix and drops non-tensor entries (counters, option dicts). An old-arch ESRGAN
    state dict (``model.0``, ``model.1.sub.N.RDBK``, ...) is renamed to BasicSR's RRDBNet keys
    (:mod:`esrgan_core.modelfiles.rrdb_keys`), the one layout our RRDBNet reads.
    """
    if not isinstance(obj, Mapping):
        raise ModelFileError(f"expected a dict of tensors, found {type(obj).__name__}", file=file)
    keys = UNWRAP_KEYS if prefer_ema else NO_EMA_KEYS
    for _ in range(4):  # nested wrappers, e.g. {"state_dict": {"params": ...}}
        inner = next((obj[k] for k in keys if isinstance(obj.get(k), Mapping)), None)
        if inner is None and len(obj) == 1 and isinstance(next(iter(obj.values())), Mapping):
            inner = next(iter(obj.values()))
        if inner is None:
            break
        obj = inner
    state = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not state:
        raise ModelFileError("contains no weight tensors", file=file)
    for prefix in PREFIXES:
        if all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    check_finite(state, file=file)
    return from_old_arch(state) or state


def first_non_finite(state: Mapping[str, torch.Tensor]) -> tuple[str, int] | None:
    """``(key, count)`` of the first floating tensor holding NaN/Inf values, or None."""
    for key, value in state.items():
        if value.is_floating_point() or value.is_complex():
            bad = int((~torch.isfinite(value)).sum())
            if bad:
                return key, bad
    return None


def check_finite(state: Mapping[str, torch.Tensor], *, file: str | Path) -> None:
    """Refuse weights holding NaN/Inf: such a model only ever produces garbage (black images)."""
    found = first_non_finite(state)
    if found is not None:
        key, bad = found
        raise ModelFileError(f"refused: tensor {key!r} holds {bad} non-finite (NaN/Inf) value(s); "
                             "the weights are damaged (a diverged training run?)", file=file)
