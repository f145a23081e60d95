"""A task written against ``esrgan_core`` only: degrade one image with a recipe under a seed.

The image comes through :func:`esrgan_core.photos.load_ref` (a file, or ``skimage:NAME``), the
recipe (a preset name or a stage list, built-in and third-party stages alike) through
:func:`esrgan_core.degradation.recipe.resolve_recipe`, the pipeline through
:class:`esrgan_core.degradation.pipeline.Pipeline`, and the one degradation of one image from a seed
through :func:`esrgan_core.degradation.once.degrade_once` (index 0).
"""

from __future__ import annotations

from typing import Any

import attrs

from esrgan_core.degradation.once import degrade_once
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.recipe import resolve_recipe
from esrgan_core.images import from_tensor01, to_tensor01, write_image
from esrgan_core.photos import load_ref, resolve_path
from esrgan_core.schema import param


@attrs.frozen
class DegradeParams:
    image: str = param(help="HR image: a file, or skimage:NAME")
    recipe: str = param("realesrgan_x4plus", convert=resolve_recipe, help="preset name or list of stages")
    scale: int = param(4, ge=1, help="super-resolution factor")
    seed: int = param(0, help="seed; the generator of (seed, 0) degrades the image")
    output: str = param("degraded.png", help="where the LR image is written (PNG, 8-bit)")


def degrade_image(params: DegradeParams, context: Any) -> int:
    """``factory(params, context)`` of the ``degrade_image`` task: read, degrade, write the LR image."""
    recipe: Any = params.recipe  # resolved by the param's convert: a Recipe
    recipe.check_scale(params.scale, "recipe", "task")
    gt = to_tensor01(load_ref(params.image))  # 1 x 3 x H x W, RGB float32 [0,1]
    pipeline = Pipeline.from_recipe(recipe, context.registries)
    lq = degrade_once(gt, pipeline, params.scale, params.seed, 0).lq
    write_image(resolve_path(params.output), from_tensor01(lq))  # atomic; 8-bit levels already (quantised)
    return 0
