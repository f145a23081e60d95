"""What the page can pick: built-in models, model files under the root, runs' EMA exports, photos.

A model is named in requests by an id: ``builtin:NAME``, ``file:REL`` (a model file under the root)
or ``run:REL`` (a run's ``net_g_ema_*.safetensors``); :func:`resolve_model` turns an id into the
reference the upscale task loads, refusing anything else (no free-form paths from the page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esrgan_core.errors import ConfigError
from esrgan_core.modelfiles.loader import SUFFIXES
from esrgan_core.modelfiles.pretrained import list_builtin
from esrgan_core.photos import PHOTOS, PREFIX
from esrgan_plugins.webui.paths import PathRefused, confine, relative
from esrgan_plugins.webui.runs import find_runs, run_summary

MODEL_SUFFIXES = (*SUFFIXES, ".onnx")
MAX_FILES = 500  # model files listed from the root


def model_files(root: Path) -> list[str]:
    """Model files under ``root`` (run folders' own files excluded: they are listed as runs)."""
    runs = [r.resolve() for r in find_runs(root)]
    found: list[str] = []
    for p in sorted(root.rglob("*")):
        if len(found) >= MAX_FILES:
            break
        if p.suffix.lower() in MODEL_SUFFIXES and p.is_file() and not any(r in p.resolve().parents for r in runs):
            name = relative(root, p)
            if name is not None:
                found.append(name)
    return found


def list_models(root: Path) -> list[dict[str, Any]]:
    """Every model the page offers: ``{"id", "label", "group"}``."""
    models = [{"id": f"builtin:{m.name}", "label": f"{m.name} ({m.architecture} x{m.scale})", "group": "built-in"}
              for m in list_builtin()]
    models += [{"id": f"file:{name}", "label": name, "group": "files under the root"} for name in model_files(root)]
    for run in find_runs(root):
        summary = run_summary(root, run)
        for stage in summary["stages"]:
            models += [{"id": f"run:{m}", "label": f"{summary['path']} / {stage['name']} / {Path(m).stem}", "group": "runs"}
                       for m in stage["models"]]
    return models


def resolve_model(root: Path, model_id: str) -> str:
    """The model reference for the upscale task: a built-in name or a confined file path."""
    kind, _, name = str(model_id).partition(":")
    if kind == "builtin":
        if name not in {m.name for m in list_builtin()}:
            raise ConfigError(f"unknown built-in model {name!r}", path="model")
        return name
    if kind in ("file", "run"):
        path = confine(root, name)
        if path.suffix.lower() not in MODEL_SUFFIXES or not path.is_file():
            raise PathRefused(f"{name!r} is not a model file ({', '.join(MODEL_SUFFIXES)})")
        return str(path)
    raise ConfigError(f"unknown model {model_id!r}; pick one from the list", path="model")


def photo_names() -> list[str]:
    """The built-in photos the playground and the comparison can use (``skimage:NAME``)."""
    return [f"{PREFIX}{n}" for n in PHOTOS]
