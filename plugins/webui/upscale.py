"""The Upscale view's service: the ``upscale`` task, reached through the task registry.

The page's options are the task's own params (defaults, help and choices read off the params
class), validated by the same ``from_dict`` as ``esrgan-run upscale``; the job then calls the
registered task on a folder of the uploaded files, so the bytes written are those the command
writes for the same options. Progress is the count of finished output files.
"""

from __future__ import annotations

import os
import shutil
import typing
from pathlib import Path
from typing import Any

import yaml

from esrgan_core.atomic import TMP_PREFIX
from esrgan_core.errors import ConfigError
from esrgan_core.schema import field_hints, field_meta, from_dict
from esrgan_plugins.webui.jobs import Job
from esrgan_plugins.webui.uploads import Upload

TASK = "upscale"
# The task options the page offers (input, output, suffix, ... are the server's to decide).
UI_FIELDS = ("tile", "tile_overlap", "tile_batch", "outscale", "precision", "device", "alpha", "engine", "ext",
             "model2", "interpolate", "denoise_strength", "fps", "codec", "crf", "preset")
SUFFIX = "out"


def task_entry(registries: Any) -> Any:
    """The registry entry of the ``upscale`` task (a ConfigError when no plugin provides it)."""
    if TASK not in registries["tasks"]:
        raise ConfigError("no plugin provides the 'upscale' task", path="task")
    return registries["tasks"].get(TASK)


def _choices(tp: Any) -> list[Any] | None:
    if typing.get_origin(tp) is typing.Literal:
        return list(typing.get_args(tp))
    return None


def option_fields(params_cls: type) -> list[dict[str, Any]]:
    """The page's form: name, default, help and choices of each offered field of the task's params."""
    hints = field_hints(params_cls)
    out = []
    for field in params_cls.__attrs_attrs__:  # type: ignore[attr-defined]
        if field.name not in UI_FIELDS:
            continue
        tp = hints.get(field.name)
        default = None if field.default is None else field.default
        kind = "bool" if tp is bool else "choice" if _choices(tp) else "text"
        out.append({"name": field.name, "default": default, "help": field_meta(field).get("help", ""),
                    "kind": kind, "choices": _choices(tp)})
    return out


def parse_options(params_cls: type, form: dict[str, Any]) -> dict[str, Any]:
    """Form strings -> task values (empty = the default; values read as YAML, except plain-string fields)."""
    hints = field_hints(params_cls)
    data: dict[str, Any] = {}
    for name, raw in form.items():
        if name not in UI_FIELDS:
            raise ConfigError(f"unknown option {name!r}; options: {', '.join(UI_FIELDS)}", path=name)
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            continue
        if isinstance(raw, str) and hints.get(name) not in (str, str | None):
            try:
                raw = yaml.safe_load(raw)
            except yaml.YAMLError:
                raise ConfigError(f"cannot read {raw!r}", path=name) from None
        data[name] = raw
    return data


def task_params(entry: Any, model: str, inputs: Path, output: Path, options: dict[str, Any]) -> Any:
    """Validated params of the task for ``inputs`` -> ``output`` (ConfigError with the option's name)."""
    data = {**options, "input": str(inputs), "output": str(output), "model": model, "suffix": SUFFIX, "progress": False}
    return from_dict(entry.params, data)


def stage_inputs(uploads: list[Upload], folder: Path) -> list[Path]:
    """Link (or copy) the uploads into one input folder; a repeated name gets a numbered prefix."""
    folder.mkdir(parents=True, exist_ok=True)
    placed, used = [], set()
    for i, up in enumerate(uploads):
        name = up.name if up.name.lower() not in used else f"{i + 1}_{up.name}"
        used.add(name.lower())
        dst = folder / name
        try:
            os.link(up.path, dst)
        except OSError:
            shutil.copyfile(up.path, dst)
        placed.append(dst)
    return placed


def finished_outputs(folder: Path) -> list[Path]:
    """Output files written so far (temporary names of writes in progress excluded)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(TMP_PREFIX))


def output_for(src: Path, outputs: list[Path]) -> Path | None:
    """The output the task wrote for ``src`` (``{stem}_{suffix}.*``), or None when it failed."""
    want = f"{src.stem}_{SUFFIX}"
    return next((p for p in outputs if p.stem == want), None)


def run_job(job: Job, entry: Any, params: Any, placed: list[Path], out: Path) -> dict[str, Any]:
    """Run the task (in the worker thread) and pair each input with its output file name."""
    job.progress = (0, len(placed))
    code = entry.factory(params, None)
    outputs = finished_outputs(out)
    files = [{"input": src.name, "output": (o.name if (o := output_for(src, outputs)) else None)} for src in placed]
    job.progress = (sum(f["output"] is not None for f in files), len(placed))
    return {"exit_code": int(code or 0), "files": files}
