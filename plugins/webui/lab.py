"""The degradation playground's service: validate a stage list as ``esrgan-run validate`` does, run it
on crops of one image showing the LR after every stage, and save it as a ``task: preview`` config.

The page edits a YAML *stage list*; it is validated as the ``stages`` of a ``preview`` config through
:func:`esrgan_core.config.build_config` and the preflight, so its one-line errors are those of
``validate`` (with the line in the edited text). Randomness comes from one ``torch.Generator``
seeded by the page's seed: the same seed gives the same samples.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from esrgan_core.atomic import atomic_write_text
from esrgan_core.config import build_config
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.presets import load_preset
from esrgan_core.errors import ConfigError
from esrgan_core.images import encode_image, from_tensor01
from esrgan_core.preflight import preflight
from esrgan_core.yamlio import parse_yaml

TASK = "preview"
RECIPE_FOLDER = "recipes"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MAX_SAMPLES, MAX_CROP = 16, 1024


def preset_text(name: str) -> dict[str, Any]:
    """A shipped preset as the page edits it: its stage list as YAML, and its scale."""
    preset = load_preset(name)
    return {"stages": yaml.safe_dump(preset.stages, sort_keys=False, default_flow_style=None, width=100),
            "scale": preset.scale, "description": preset.description}


def recipe_data(text: str, scale: int, n: int, seed: int, crop: int) -> tuple[dict[str, Any], dict[str, int]]:
    """The ``task: preview`` config of a stage list (and the key-path -> line map of the text)."""
    stages, lines = parse_yaml(text, file="stages")
    if not isinstance(stages, list):
        raise ConfigError("expected a YAML list of stages ('- type: blur ...')", path="stages", file="stages", line=1)
    data = {"task": TASK, "scale": scale, "n": n, "seed": seed, "crop": crop, "stages": stages}
    return data, {f"stages{k}": v for k, v in lines.items()}


def validate(host: Any, text: str, scale: int, n: int = 4, seed: int = 0, crop: int = 256) -> Any:
    """The validated config of the stage list (ConfigError or PreflightError: one line per problem)."""
    data, lines = recipe_data(text, scale, n, seed, crop)
    cfg, _ = build_config(data, file="stages", lines=lines, host_factory=lambda plugins: host)
    preflight(cfg, host)
    return cfg


def centre_crop(rgb01: np.ndarray, size: int, scale: int) -> torch.Tensor:
    """The central ``size`` square (smaller when the image is), cut to a multiple of ``scale``; 3xHxW."""
    h, w = rgb01.shape[:2]
    side = min(size, h, w)
    side -= side % scale
    if side < scale:
        raise ConfigError(f"the image ({w}x{h}) is smaller than the scale {scale}", path="source")
    top, left = (h - side) // 2, (w - side) // 2
    return torch.from_numpy(np.ascontiguousarray(rgb01[top:top + side, left:left + side].transpose(2, 0, 1))).float()


def png_url(chw01: torch.Tensor) -> str:
    """A data URL of an RGB float [0,1] 3xHxW tensor as an 8-bit PNG."""
    return "data:image/png;base64," + base64.b64encode(encode_image(from_tensor01(chw01[None]), ".png")).decode()


class _Snapshot:
    """A no-op stage placed after a real one: it keeps each sample's LQ, keyed by the sample's record."""

    def __init__(self, label: str, store: dict[int, list[tuple[str, torch.Tensor]]]) -> None:
        self.label, self.store = label, store

    def __call__(self, batch: Any, generator: torch.Generator) -> Any:
        for record, lq in zip(batch.record, batch.lq):
            self.store.setdefault(id(record), []).append((self.label, lq.detach().clone()))
        return batch


def stage_label(i: int, spec: Any) -> str:
    name = getattr(spec.params, "name", None)
    return f"{i + 1}. {spec.type}" + (f" ({name})" if name else "")


def degrade(cfg: Any, registries: Any, rgb01: np.ndarray) -> dict[str, Any]:
    """Run the recipe on ``n`` copies of the centre crop; per sample the LR, the image after each stage
    and what each stage drew."""
    params = cfg.params
    crop = int(params.crop)
    if not 1 <= params.n <= MAX_SAMPLES or crop > MAX_CROP:
        raise ConfigError(f"samples must be 1..{MAX_SAMPLES} and the crop at most {MAX_CROP} pixels", path="n")
    scale = int(params.scale or 4)
    pipeline = Pipeline(params.stages, registries)
    store: dict[int, list[tuple[str, torch.Tensor]]] = {}
    pipeline.stages = [s for i, (stage, spec) in enumerate(zip(pipeline.stages, pipeline.specs))
                       for s in (stage, _Snapshot(stage_label(i, spec), store))]
    gt = centre_crop(rgb01, crop, scale)
    batch = pipeline(gt[None].repeat(params.n, 1, 1, 1), torch.Generator().manual_seed(int(params.seed)), scale)
    samples = []
    for i, record in enumerate(batch.record):
        steps = [{"label": label, "image": png_url(t.clamp(0, 1)), "size": list(t.shape[-2:])} for label, t in store.get(id(record), [])]
        samples.append({"lr": png_url(batch.lq[i]), "stages": steps, "record": record})
    return {"hr": png_url(gt), "hr_size": list(gt.shape[-2:]), "lr_size": list(batch.lq.shape[-2:]), "scale": scale,
            "samples": samples}


def save_recipe(host: Any, root: Path, name: str, text: str, scale: int, n: int, seed: int, crop: int,
                overwrite: bool = False) -> tuple[Path, str]:
    """Write ``<root>/recipes/<name>.yml`` (validated first); returns the path and validate's verdict."""
    if not NAME_RE.match(name or ""):
        raise ConfigError("a recipe name is letters, digits, '_' and '-' (at most 64)", path="name")
    cfg = validate(host, text, scale, n, seed, crop)
    path = root / RECIPE_FOLDER / f"{name}.yml"
    if path.exists() and not overwrite:
        raise ConfigError(f"{RECIPE_FOLDER}/{name}.yml exists already; choose another name", path="name")
    data, _ = recipe_data(text, scale, n, seed, crop)
    head = "# A degradation recipe saved by the esrgan web app: `esrgan-run validate` checks it, `esrgan-run` previews it.\n"
    atomic_write_text(path, head + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100))
    return path, f"{RECIPE_FOLDER}/{name}.yml: valid ({cfg.task} config)"
