"""How close is a recipe's synthetic LR to a folder of real LR images? (``esrgan-run preview --real DIR``)

HR crops (``--hr DIR``, else the built-in photos) of ``patch * scale`` pixels are degraded by the
recipe to ``patch`` x ``patch`` LR patches; the real set is ``per_image`` random patches of that size
from every real LR image (offsets on the 8-pixel block grid, so codec blocks stay aligned). The two
sets are compared with the statistics and distances of :mod:`.realism_stats` (``stats`` and,
unless disabled, KID on the FID Inception's 2048 features, reached through the ``metrics``
registry as ``fid``), for the whole recipe and with each top-level stage left out, so one sees
which stage brings the synthetic set closer. The same seed is used for every variant.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

import attrs
import numpy as np
import torch

from esrgan_core.atomic import atomic_write_text
from esrgan_core.degradation import realism_stats as RS
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.presets import load_preset, preset_names
from esrgan_core.errors import ConfigError, DataError
from esrgan_core.images import list_images, read_rgb01
from esrgan_core.photos import PREFIX, load_photo
from esrgan_core.registry import Registries
from esrgan_core.values import ComponentSpec
from esrgan_core.yamlio import parse_yaml

log = logging.getLogger(__name__)
BUILTIN_HR = ("astronaut", "coffee", "chelsea", "rocket")
KID_WEIGHT = 100.0  # objective "both": stats + 100 KID (a KID of 0.01 weighs like one statistic's full spread)


@attrs.frozen
class RealismSetup:
    """How the two sets are drawn and compared."""

    patch: int = 48
    synthetic: int = 48
    per_image: int = 4
    kid: bool = True
    seed: int = 0
    batch: int = 8


def load_recipe(value: str) -> tuple[list[dict[str, Any]], int, str]:
    """(plain stages, scale, label) of a preset name or a YAML file holding ``stages`` (and ``scale``)."""
    if value in preset_names():
        p = load_preset(value)
        return list(p.stages), p.scale, value
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"{value!r} is neither a preset ({', '.join(preset_names())}) nor a YAML file", path="recipe")
    data, _ = parse_yaml(path.read_text(encoding="utf-8"), file=path)
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        raise ConfigError("a recipe file needs a 'stages' list", file=path)
    return list(data["stages"]), int(data.get("scale", 4)), str(path)


def _tensor(img: np.ndarray) -> torch.Tensor:
    img = img[..., None].repeat(3, 2) if img.ndim == 2 else img[..., :3]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float()


def real_patches(folder: Path, patch: int, per_image: int, gen: torch.Generator) -> torch.Tensor:
    """``per_image`` patches of every image under ``folder``, offsets multiples of 8 (RGB [0,1] NCHW)."""
    files = list_images(folder, recursive=True) if folder.is_dir() else []
    if len(files) < 2:
        raise DataError(f"{folder}: the realism distance needs at least 2 real LR images, found {len(files)}")
    out = []
    for f in files:
        t = _tensor(read_rgb01(f))
        h, w = t.shape[-2:]
        if h < patch or w < patch:
            raise DataError(f"{f}: real LR image is {w}x{h}, smaller than the patch {patch} (use a smaller --patch)")
        for _ in range(per_image):
            top = 8 * int(torch.randint(0, (h - patch) // 8 + 1, (1,), generator=gen))
            left = 8 * int(torch.randint(0, (w - patch) // 8 + 1, (1,), generator=gen))
            out.append(t[:, top:top + patch, left:left + patch])
    return torch.stack(out)


def hr_images(folder: Path | None) -> list[tuple[str, torch.Tensor]]:
    if folder is None:
        return [(PREFIX + n, _tensor(load_photo(n).astype(np.float32) / 255)) for n in BUILTIN_HR]
    files = list_images(folder, recursive=True) if folder.is_dir() else []
    if not files:
        raise DataError(f"{folder}: no HR images found")
    return [(str(f), _tensor(read_rgb01(f))) for f in files]


def hr_crops(images: Sequence[tuple[str, torch.Tensor]], size: int, count: int, gen: torch.Generator) -> torch.Tensor:
    out = []
    for i in range(count):
        name, t = images[i % len(images)]
        h, w = t.shape[-2:]
        if h < size or w < size:
            raise DataError(f"{name}: HR image is {w}x{h}, smaller than patch x scale = {size}; "
                            "are the HR and real LR images at the scale the recipe assumes?")
        top = int(torch.randint(0, h - size + 1, (1,), generator=gen))
        left = int(torch.randint(0, w - size + 1, (1,), generator=gen))
        out.append(t[:, top:top + size, left:left + size])
    return torch.stack(out)


class Inception:
    """FID Inception features, through the ``metrics`` registry (``fid``)."""

    def __init__(self, registries: Registries) -> None:
        from esrgan_core.schema import from_value

        spec = from_value(ComponentSpec, {"type": "fid", "min_images": 2}, path="fid", registries=registries, kind="metrics")
        self.metric = registries["metrics"].build(spec)
        if not callable(getattr(self.metric, "features", None)):
            raise ConfigError("metric 'fid' has no features(); KID needs it (use --no-kid)", path="fid")

    def __call__(self, x: torch.Tensor) -> np.ndarray:
        return self.metric.features([im.permute(1, 2, 0).numpy() for im in x.cpu()])


class Evaluator:
    """Distance of a stage list's synthetic LR set to a fixed real set (same HR crops and seed each time)."""

    def __init__(self, real: torch.Tensor, hr: torch.Tensor, scale: int, registries: Registries,
                 setup: RealismSetup, features: Inception | None = None) -> None:
        self.hr, self.scale, self.registries, self.setup = hr, scale, registries, setup
        self.features = features
        self.real_stats = RS.image_stats(real)
        self.real_features = features(real) if features is not None else None
        self.real_count = len(real)

    def synthesise(self, stages: Sequence[dict[str, Any]]) -> torch.Tensor:
        pipeline = Pipeline.from_dicts(list(stages), self.registries, path="stages")
        gen = torch.Generator().manual_seed(self.setup.seed)
        b = self.setup.batch
        return torch.cat([pipeline(self.hr[i:i + b], gen, self.scale).lq for i in range(0, len(self.hr), b)])

    def evaluate(self, stages: Sequence[dict[str, Any]]) -> dict[str, Any]:
        lr = self.synthesise(stages)
        syn = RS.image_stats(lr)
        total, terms = RS.stats_distance(syn, self.real_stats)
        out: dict[str, Any] = {"stats": total, "terms": terms, "means": {k: float(v.mean()) for k, v in syn.items()}}
        if self.features is not None:
            out["kid"] = RS.kid(self.features(lr), self.real_features, seed=self.setup.seed)
        return out

    def objective(self, result: dict[str, Any], kind: str) -> float:
        if kind == "stats" or "kid" not in result:
            return float(result["stats"])
        return float(result["kid"]) if kind == "kid" else float(result["stats"] + KID_WEIGHT * result["kid"])


def build_evaluator(real: Path, hr: Path | None, scale: int, registries: Registries, setup: RealismSetup) -> Evaluator:
    """Read both sets (errors name the folder/file, before any work)."""
    if setup.patch < 16:
        raise ConfigError(f"the LR patch must be at least 16 pixels, got {setup.patch}", path="patch")
    gen = torch.Generator().manual_seed(setup.seed + 1)
    real_set = real_patches(Path(real), setup.patch, setup.per_image, gen)
    crops = hr_crops(hr_images(Path(hr) if hr else None), setup.patch * scale, setup.synthetic, gen)
    return Evaluator(real_set, crops, scale, registries, setup, Inception(registries) if setup.kid else None)


def stage_label(stage: dict[str, Any], i: int) -> str:
    return f"{i}:{stage.get('name') or stage.get('type')}"


def toggle_report(ev: Evaluator, stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full recipe, then each top-level stage left out (stages the LR size needs are reported as such)."""
    rows = [{"variant": "full recipe", **ev.evaluate(stages)}]
    for i, st in enumerate(stages):
        try:
            res = ev.evaluate(stages[:i] + stages[i + 1:])
        except ConfigError as exc:
            rows.append({"variant": f"without {stage_label(st, i)}", "skipped": f"needed: {exc.message}"})
            continue
        rows.append({"variant": f"without {stage_label(st, i)}", **res})
    return rows


def format_table(rows: list[dict[str, Any]], real_means: dict[str, float]) -> str:
    head = f"{'variant':32} {'KIDx1e3':>8} {'stats':>7} " + " ".join(f"{k:>12}" for k in RS.NAMES)
    lines = [head, f"{'real LR':32} {'':>8} {'':>7} " + " ".join(f"{real_means[k]:12.4f}" for k in RS.NAMES)]
    for r in rows:
        if "skipped" in r:
            lines.append(f"{r['variant'][:32]:32} (not run: the LR size needs this stage)")
            continue
        k = f"{1000 * r['kid']:8.2f}" if "kid" in r else f"{'-':>8}"
        lines.append(f"{r['variant'][:32]:32} {k} {r['stats']:7.3f} " + " ".join(f"{r['means'][n]:12.4f}" for n in RS.NAMES))
    return "\n".join(lines)


def run_realism(recipe: str, real: Path, hr: Path | None, output: Path, registries: Registries,
                setup: RealismSetup, toggles: bool = True) -> dict[str, Any]:
    stages, scale, label = load_recipe(recipe)
    Pipeline.from_dicts(stages, registries, path="stages")  # config errors before reading any image
    ev = build_evaluator(real, hr, scale, registries, setup)
    rows = toggle_report(ev, stages) if toggles else [{"variant": "full recipe", **ev.evaluate(stages)}]
    real_means = {k: float(v.mean()) for k, v in ev.real_stats.items()}
    doc = {"recipe": label, "scale": scale, "real": str(real), "hr": str(hr) if hr else "built-in photos",
           "patch": setup.patch, "real_patches": ev.real_count, "synthetic_patches": len(ev.hr), "seed": setup.seed,
           "real_means": real_means, "rows": rows}
    atomic_write_text(Path(output) / "realism.json", json.dumps(doc, indent=1) + "\n")
    doc["table"] = format_table(rows, real_means)
    return doc
