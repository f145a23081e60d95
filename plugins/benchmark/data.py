"""Test sets of a benchmark: (name, LR, HR) pairs, HWC RGB float32 [0,1] numpy arrays.

- paired folders: LR files match HR files by stem (``NAME`` or ``NAMEx<scale>``); an HR image at
  most ``scale - 1`` pixels larger than ``scale`` x LR is cropped at the bottom/right (BasicSR);
- HR folder + recipe: each HR image is degraded once on the CPU by the recipe
  (:func:`esrgan_core.degradation.once.degrade_once`, index = the sha256 of its pixels), so an
  image's LR depends only on recipe, seed, scale and its pixels -- what the cache key holds (with
  the esrgan version);
- ``builtin: skimage_x4plus``: the scikit-image photos, degraded as above by ``realesrgan_x4plus``.

``max_size`` centre-crops HR images first (paired: the LR is cropped on the matching grid); HR
sides are then cut to a multiple of the scale at the bottom/right. Degraded LR images are 8-bit
(the pipeline quantises), so the cache keeps them losslessly as PNG files named by their key.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import attrs
import numpy as np

import esrgan_core
from esrgan_core.cache import cache_dir
from esrgan_core.degradation.crop import gt_window
from esrgan_core.degradation.once import degrade_once
from esrgan_core.errors import ConfigError, DataError
from esrgan_core.images import centre_box, centre_crop, from_tensor01, list_images, read_rgb01, to_tensor01, write_image
from esrgan_core.photos import PHOTOS, load_photo, resolve_path
from esrgan_core.registry import Registries
from esrgan_core.schema import to_plain

log = logging.getLogger("esrgan.benchmark")
CACHE_VERSION = 2  # 2: degradation generator from esrgan_core.seeding
BUILTIN_RECIPE = {"skimage_x4plus": "realesrgan_x4plus"}


@attrs.frozen
class Pair:
    """One test image: ``lr`` and ``hr`` HWC RGB float32 [0,1], ``hr`` = scale x ``lr`` in size."""

    name: str
    lr: np.ndarray = attrs.field(eq=False, repr=False)
    hr: np.ndarray = attrs.field(eq=False, repr=False)


@attrs.frozen
class TestSet:
    name: str
    pairs: list[Pair]
    info: dict[str, Any]


def default_cache_dir() -> Path:
    return cache_dir("benchmark_lr").expanduser()


def _limit(items: list[Any], max_images: int) -> list[Any]:
    return items[:max_images] if max_images else items


def builtin_hr(entry: Any, scale: int) -> list[tuple[str, np.ndarray]]:
    names = _limit(list(PHOTOS), entry.max_images)
    return [(n, centre_crop(load_photo(n).astype(np.float32) / 255.0, entry.max_size, scale)) for n in names]


def folder_hr(entry: Any, scale: int, base_dir: Path, index: int) -> list[tuple[str, np.ndarray]]:
    files = _limit(list_images(_resolve(entry.hr, base_dir, f"datasets[{index}].hr"), recursive=False), entry.max_images)
    return [(p.stem, centre_crop(read_rgb01(p), entry.max_size, scale)) for p in files]


def _resolve(folder: Path, base_dir: Path, key: str) -> Path:
    p = resolve_path(folder, base_dir)
    if not p.is_dir():
        raise ConfigError(f"folder {p} does not exist", path=key)
    return p


def paired(entry: Any, scale: int, base_dir: Path, index: int) -> list[Pair]:
    """LR/HR pairs of two folders, matched by stem (``NAME`` or ``NAMEx<scale>``)."""
    hr_dir = _resolve(entry.hr, base_dir, f"datasets[{index}].hr")
    lr_files = {p.stem: p for p in list_images(_resolve(entry.lr, base_dir, f"datasets[{index}].lr"), recursive=False)}
    pairs = []
    for hr_file in _limit(list_images(hr_dir, recursive=False), entry.max_images):
        lr_file = lr_files.get(hr_file.stem) or lr_files.get(f"{hr_file.stem}x{scale}")
        if lr_file is None:
            raise DataError(f"{hr_file}: no LR image {hr_file.stem}.* or {hr_file.stem}x{scale}.* in {entry.lr}")
        lr, hr = read_rgb01(lr_file), read_rgb01(hr_file)
        lh, lw = lr.shape[:2]
        if not (lh * scale <= hr.shape[0] < (lh + 1) * scale and lw * scale <= hr.shape[1] < (lw + 1) * scale):
            raise DataError(f"{hr_file}: HR {hr.shape[1]}x{hr.shape[0]} is not {scale} x LR {lw}x{lh} ({lr_file.name})")
        top, left, h, w = centre_box(lh, lw, entry.max_size // scale if entry.max_size else None)
        rows, cols = gt_window(top, left, h, w, scale)  # the HR under the LR crop
        lr, hr = lr[top:top + h, left:left + w], hr[rows, cols]
        pairs.append(Pair(hr_file.stem, np.ascontiguousarray(lr), np.ascontiguousarray(hr)))
    return pairs


def recipe_pipeline(recipe: Any, scale: int, registries: Registries, key: str) -> tuple[Any, list[dict[str, Any]]]:
    """``(Pipeline, its stages as plain data with every option)`` of a resolved recipe (or a preset name)."""
    from esrgan_core.degradation.pipeline import Pipeline
    from esrgan_core.degradation.recipe import resolve_recipe

    recipe = resolve_recipe(recipe, key, registries)
    recipe.check_scale(scale, key, "benchmark")
    pipeline = Pipeline.from_recipe(recipe, registries)
    return pipeline, [to_plain(s) for s in pipeline.specs]


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.hexdigest()


def pixel_digest(hr: np.ndarray) -> str:
    """sha256 (hex) of an HR image's shape and float32 pixels: part of the cache key."""
    return _digest(str(hr.shape).encode(), np.ascontiguousarray(hr, dtype=np.float32).tobytes())


def image_index(pixels: str) -> int:
    """The ``index`` an HR image is degraded with (:func:`~esrgan_core.degradation.once.degrade_once`): its
    :func:`pixel_digest`, so its LR does not depend on its position in the set."""
    return int(pixels[:15], 16)


def degrade_cached(hr: np.ndarray, pipeline: Any, stages: list[dict[str, Any]], seed: int, scale: int,
                   cache_dir: Path) -> tuple[np.ndarray, bool]:
    """``(LR HWC RGB float32 [0,1], was_cached)`` of one HR image (HWC RGB float32 [0,1])."""
    pixels = pixel_digest(hr)
    recipe = json.dumps({"v": CACHE_VERSION, "esrgan": esrgan_core.__version__, "stages": stages, "seed": seed,
                         "scale": scale}, sort_keys=True)
    key = _digest(recipe.encode(), pixels.encode())
    file = cache_dir / f"{key[:40]}.png"
    want = (hr.shape[0] // scale, hr.shape[1] // scale)
    if file.is_file():
        lr = read_rgb01(file)
        if lr.shape[:2] == want:
            return lr, True
    lr = from_tensor01(degrade_once(to_tensor01(hr), pipeline, scale, seed, image_index(pixels)).lq)
    write_image(file, lr)
    return lr, False


def load_test_set(entry: Any, index: int, *, scale: int, registries: Registries, base_dir: Path,
                  cache_dir: Path) -> TestSet:
    """Read (and if needed degrade) one configured dataset."""
    name = entry.display_name()
    info: dict[str, Any] = {"max_size": entry.max_size}
    if entry.lr is not None:
        pairs = paired(entry, scale, base_dir, index)
        info.update(source="paired", hr=str(entry.hr), lr=str(entry.lr))
    else:
        recipe = BUILTIN_RECIPE[entry.builtin] if entry.builtin else entry.recipe
        key = f"datasets[{index}].{'builtin' if entry.builtin else 'recipe'}"
        pipeline, stages = recipe_pipeline(recipe, scale, registries, key)
        hrs = builtin_hr(entry, scale) if entry.builtin else folder_hr(entry, scale, base_dir, index)
        pairs, hits = [], 0
        for n, hr in hrs:
            lr, cached = degrade_cached(hr, pipeline, stages, entry.seed, scale, cache_dir)
            hits += cached
            pairs.append(Pair(n, lr, hr))
        info.update(source=f"builtin:{entry.builtin}" if entry.builtin else "hr+recipe", hr=str(entry.hr or ""),
                    recipe=recipe if isinstance(recipe, str) else (recipe.preset or "custom"), stages=stages, seed=entry.seed,
                    cache_dir=str(cache_dir))
        log.info("dataset %s: %d image(s) degraded, %d from the cache", name, len(pairs) - hits, hits)
    if not pairs:
        raise DataError(f"dataset {name!r} has no images")
    return TestSet(name, pairs, info)
