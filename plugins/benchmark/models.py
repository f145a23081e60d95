"""The methods a benchmark scores: bicubic, and each configured model loaded for inference.

A model entry is a built-in name, a model file, or a training run folder (``experiments/<name>``):
for a run folder the EMA export ``<stage>/models/net_g_ema_<tag>.safetensors`` of the last stage
(order of the run's ``config.yml``) that has one is used, ``latest`` before the highest iteration.
Every method maps an LR image (HWC RGB float32 [0,1]) to an SR image (HWC RGB float32 [0,1]).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import attrs
import numpy as np
import torch.nn.functional as F

from esrgan_core.errors import ConfigError, ModelFileError
from esrgan_core.images import from_tensor01, to_tensor01
from esrgan_core.runlayout import RunLayout, export_tag_key
from esrgan_core.yamlio import parse_yaml

BICUBIC = "bicubic"


@attrs.frozen
class Method:
    """A named SR method: ``upscale(lr_rgb01) -> sr_rgb01`` (HWC RGB float32 [0,1] both)."""

    label: str
    source: str
    info: dict[str, Any]
    upscale: Callable[[np.ndarray], np.ndarray] = attrs.field(eq=False, repr=False)


def bicubic_upscale(lr: np.ndarray, scale: int) -> np.ndarray:
    """HWC RGB float32 [0,1] -> bicubic x``scale`` (torch, a = -0.75, align_corners False), clipped."""
    out = F.interpolate(to_tensor01(lr), scale_factor=scale, mode="bicubic", align_corners=False)
    return from_tensor01(out)


def bicubic_method(scale: int) -> Method:
    return Method(BICUBIC, "torch.nn.functional.interpolate(mode='bicubic', align_corners=False)",
                  {"architecture": "bicubic", "scale": scale}, lambda lr: bicubic_upscale(lr, scale))


def _stage_order(run_dir: Path) -> list[str]:
    cfg = RunLayout(run_dir).config
    if not cfg.is_file():
        return []
    try:
        data, _ = parse_yaml(cfg.read_text(encoding="utf-8"), file=str(cfg))
    except Exception:  # an unreadable config only loses the ordering hint
        return []
    stages = data.get("stages") if isinstance(data, dict) else None
    return [str(s["name"]) for s in stages or [] if isinstance(s, dict) and "name" in s]


def latest_export(run_dir: Path) -> Path:
    """The EMA export of a run folder to benchmark (see the module docstring)."""
    exports = [p for stage in RunLayout(run_dir).stages_present() for p in stage.ema_exports()]
    if not exports:
        raise ModelFileError("a run folder without any EMA export (<stage>/models/net_g_ema_*.safetensors)", file=run_dir)
    order = _stage_order(run_dir)

    def rank(p: Path) -> tuple[int, int, int, int]:
        stage = p.parent.parent.name
        pos = order.index(stage) if stage in order else -1
        return (pos, p.stat().st_mtime_ns if pos < 0 else 0, *export_tag_key(p))

    return max(exports, key=rank)


def default_label(ref: str, file: Path | None) -> str:
    if file is None:
        return ref
    if Path(ref).expanduser().is_dir():
        stage = file.parent.parent.name
        return f"{Path(ref).name}/{stage}" if stage != Path(ref).name else Path(ref).name
    return file.stem


def model_method(ref: str, label: str | None, *, scale: int, index: int, upscaler_options: dict[str, Any]) -> Method:
    """Load one model entry and wrap it in an :class:`~esrgan_core.upscaling.engine.Upscaler`."""
    from esrgan_core.modelfiles.loader import load_model
    from esrgan_core.upscaling.engine import Upscaler

    path = Path(ref).expanduser()
    file = latest_export(path) if path.is_dir() else (path if path.is_file() else None)
    loaded = load_model(file if file is not None else ref)
    d = loaded.description
    if d.scale != scale:
        raise ConfigError(f"model {ref!r} upscales x{d.scale}, the benchmark's scale is {scale}", path=f"models[{index}]")
    up = Upscaler.from_loaded(loaded, **upscaler_options)
    info = {"architecture": d.architecture, "scale": d.scale, "hyperparameters": d.hyperparameters,
            "file": str(file) if file is not None else None}
    name = label or default_label(ref, file)
    return Method(name, ref, info, lambda lr: up.upscale_rgb(lr, name=name))


def build_methods(params: Any) -> list[Method]:
    """Bicubic first, then every model of ``params.models`` (labels made unique)."""
    options = dict(tile=params.tile, tile_overlap=params.tile_overlap, device=params.device, precision=params.precision)
    methods = [bicubic_method(params.scale)]
    for i, entry in enumerate(params.model_entries()):
        m = model_method(entry.model, entry.label, scale=params.scale, index=i, upscaler_options=options)
        taken = {x.label for x in methods}
        if m.label in taken:
            if entry.label:
                raise ConfigError(f"label {m.label!r} is used twice", path=f"models[{i}].label")
            k = 2
            while f"{m.label}#{k}" in taken:
                k += 1
            m = attrs.evolve(m, label=f"{m.label}#{k}")
        methods.append(m)
    return methods
