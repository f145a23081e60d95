"""Rebuild a network from a state dict: recorded architecture, registered detectors, then spandrel.

Detection is open to third parties: every entry of the ``networks`` registry whose factory has a
``detect(state_dict) -> params | None`` attribute is asked, in registry (name) order. A match whose
weights do not load strictly is remembered and the search goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from esrgan_core.errors import ConfigError, ModelFileError
from esrgan_core.modelfiles.description import SPANDREL_PREFIX, LoadedModel, describe
from esrgan_core.modelfiles.fit import fit
from esrgan_core.modelfiles.spandrel_wrap import load_with_spandrel
from esrgan_core.registry import Entry, Registries
from esrgan_core.schema import from_dict


def _default_registries() -> Registries:
    from esrgan_core.plugins import load_plugins

    return load_plugins().registries


def build_entry(entry: Entry, params: Any, state_dict: Mapping[str, torch.Tensor], *, source: str) -> tuple[LoadedModel | None, str]:
    """Build ``entry`` with ``params`` and load the weights strictly: ``(model, "")`` or ``(None, why)``."""
    try:
        net = entry.factory(params) if entry.params is not None else entry.factory()
    except Exception as exc:
        return None, f"{entry.name}: cannot build with {params}: {exc}"
    report = fit(net, state_dict, source=source)
    if not report.exact:
        return None, f"{entry.name}: weights do not fit ({report.problems()})"
    net.load_state_dict(dict(state_dict), strict=True)
    net = net.to(device="cpu", dtype=torch.float32).eval()
    return LoadedModel(net, describe(entry.name, entry.factory, params, source=source)), ""


def _recorded(arch: str, recorded: Mapping[str, Any], state_dict: Mapping[str, torch.Tensor], registries: Registries,
              file: Path, source: str) -> tuple[LoadedModel | None, str]:
    if arch.startswith(SPANDREL_PREFIX):
        return load_with_spandrel(state_dict, source=source)
    networks = registries["networks"]
    if arch not in networks:
        return None, f"recorded architecture {arch!r} is not registered (is its plugin installed?)"
    entry = networks.get(arch)
    try:
        params = from_dict(entry.params, recorded.get("hyperparameters") or {}, path="hyperparameters",
                           registries=registries) if entry.params is not None else None
    except ConfigError as exc:
        raise ModelFileError(f"recorded hyper-parameters are invalid for {arch}: {exc}", file=file) from None
    loaded, why = build_entry(entry, params, state_dict, source=source)
    if loaded is None:
        raise ModelFileError(f"recorded architecture {why}", file=file)
    return loaded, ""


def build_model(state_dict: Mapping[str, torch.Tensor], *, file: str | Path, source: str | None = None,
                recorded: Mapping[str, Any] | None = None, registries: Registries | None = None) -> LoadedModel:
    """A :class:`LoadedModel` for ``state_dict`` (eval mode, float32, CPU).

    ``recorded`` may hold ``architecture`` (registry name or ``spandrel:<Id>``) and
    ``hyperparameters`` (dict) read from the file's metadata; they take precedence over detection.
    Raises ModelFileError naming ``file`` when nothing can rebuild the weights.
    """
    file = Path(file)
    source = str(file) if source is None else source
    registries = registries if registries is not None else _default_registries()
    reasons: list[str] = []
    arch = (recorded or {}).get("architecture")
    if arch:
        loaded, why = _recorded(str(arch), recorded or {}, state_dict, registries, file, source)
        if loaded is not None:
            return loaded
        reasons.append(why)
    for entry in registries["networks"].entries():
        detect = getattr(entry.factory, "detect", None)
        if not callable(detect):
            continue
        try:
            params = detect(state_dict)
        except Exception as exc:  # a faulty detector must not hide the others
            reasons.append(f"{entry.name} detector failed: {type(exc).__name__}: {exc}")
            continue
        if params is None:
            continue
        loaded, why = build_entry(entry, params, state_dict, source=source)
        if loaded is not None:
            return loaded
        reasons.append(why)
    loaded, why = load_with_spandrel(state_dict, source=source)
    if loaded is not None:
        return loaded
    reasons.append(why)
    first = ", ".join(list(state_dict)[:3])
    raise ModelFileError(f"unknown architecture: no registered network matches its {len(state_dict)} tensors "
                         f"(first keys: {first}); " + "; ".join(r for r in reasons if r), file=file)
