"""Model files of a run (``models/``) and loading pretrained weights into a network.

``models/net_g_{iter}.pth`` = ``{'params': G, 'params_ema': EMA}`` (float CPU tensors, no
``module.`` prefix), ``models/net_g_ema_{iter}.safetensors`` (EMA weights + metadata naming the
architecture), ``models/net_d_{iter}.pth`` = ``{'params': D}``; ``latest`` instead of the number
for the files written at the end of a stage.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import attrs
import torch
from torch import nn

from esrgan_core.errors import ModelFileError
from esrgan_plugins.modelfiles.description import ModelDescription
from esrgan_plugins.modelfiles.loader import read_weights, resolve_ref
from esrgan_plugins.modelfiles.readers import PTH_SUFFIXES, canonicalize, read_pth
from esrgan_plugins.modelfiles.writers import save_pth, save_safetensors

log = logging.getLogger(__name__)
DEFAULT_PARAM_KEYS = ("params", "params_ema")  # a bare state dict is accepted for these


@attrs.frozen
class LoadReport:
    """What :func:`load_into` did: keys loaded, skipped for shape, missing in the file, unused."""

    source: str
    loaded: int
    total: int
    shape_mismatch: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()

    def summary(self) -> str:
        parts = [f"loaded {self.loaded}/{self.total} tensors from {self.source}"]
        if self.shape_mismatch:
            parts.append(f"skipped for shape: {', '.join(self.shape_mismatch)}")
        if self.missing:
            parts.append(f"missing (kept initialised): {', '.join(self.missing)}")
        if self.unexpected:
            parts.append(f"unused in file: {', '.join(self.unexpected)}")
        return "; ".join(parts)


def read_pretrained(ref: str, param_key: str = "params") -> tuple[dict[str, torch.Tensor], str]:
    """``(state_dict, source)`` of a file path or built-in name; ``param_key`` picks the wrapper key
    of BasicSR ``.pth`` files (``params_ema`` falls back to ``params`` when absent)."""
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


def load_into(net: nn.Module, state: Mapping[str, torch.Tensor], *, strict: bool, source: str) -> LoadReport:
    """Copy ``state`` into ``net``. Strict: every key and shape must match (else ModelFileError).
    Not strict (BasicSR-like): shape-mismatched keys are skipped and reported, the rest loaded."""
    own = net.state_dict()
    missing = tuple(k for k in own if k not in state)
    unexpected = tuple(k for k in state if k not in own)
    mismatch = tuple(k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape))
    if strict and (missing or unexpected or mismatch):
        report = LoadReport(source, 0, len(own), mismatch, missing, unexpected)
        raise ModelFileError(f"does not fit the network ({report.summary()}); set strict_load to false to load "
                             "what fits", file=source)
    usable = {k: v for k, v in state.items() if k in own and k not in mismatch}
    net.load_state_dict(usable, strict=False)
    return LoadReport(source, len(usable), len(own), mismatch, missing, unexpected)


def float_state(net: nn.Module) -> dict[str, torch.Tensor]:
    """``net``'s state dict without non-float entries (e.g. spectral-norm counters) for .pth files."""
    return {k: v for k, v in net.state_dict().items() if v.is_floating_point()}


def save_models(models_dir: Path, tag: str, *, net_g: nn.Module, ema: nn.Module, net_d: nn.Module | None,
                description: ModelDescription, iteration: int, config_hash: str) -> list[Path]:
    """Write the model files of one checkpoint (``tag`` = iteration number or ``latest``)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    g = models_dir / f"net_g_{tag}.pth"
    save_pth(g, float_state(net_g), float_state(ema))
    st = models_dir / f"net_g_ema_{tag}.safetensors"
    save_safetensors(st, ema.state_dict(), description, iteration=iteration, config_hash=config_hash)
    out = [g, st]
    if net_d is not None:
        d = models_dir / f"net_d_{tag}.pth"
        save_pth(d, float_state(net_d))
        out.append(d)
    return out
