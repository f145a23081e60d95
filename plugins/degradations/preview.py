"""``task: preview`` and ``esrgan-run preview``: see what a degradation recipe does.

Writes ``preview.png`` (one row per sample: the HR crop, then the LR enlarged by nearest
neighbour to the same size) and ``preview.json`` (what every stage drew for every sample). Each
sample is degraded the way validation degrades an image (:mod:`esrgan_core.degradation.once`).
Without images, photos shipped with scikit-image are used.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch
import torch.nn.functional as F

from esrgan_core.argparse_gen import add_param_options, params_from_args
from esrgan_core.atomic import atomic_write_text
from esrgan_core.degradation.crop import pad_crop_hwc
from esrgan_core.degradation.once import degrade_once
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.recipe import resolve_recipe
from esrgan_core.images import read_rgb01, to_tensor01, write_image
from esrgan_core.photos import PREFIX, load_photo
from esrgan_core.registry import Registries
from esrgan_core.schema import from_dict, param
from esrgan_core.seeding import make_generator
from esrgan_core.values import ComponentSpec

log = logging.getLogger(__name__)
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


@attrs.frozen
class PreviewParams:
    recipe: str = param("realesrgan_x4plus", convert=resolve_recipe, help="preset name (used unless stages is given)")
    stages: tuple[ComponentSpec, ...] | None = param(None, kind="degradations", help="inline stage list instead of a preset")
    scale: int | None = param(None, ge=1, help="super-resolution factor (default: the preset's, else 4)")
    images: tuple[Path, ...] = param((), help="HR images (default: scikit-image photos)")
    n: int = param(8, ge=1, help="number of samples")
    crop: int = param(400, ge=32, help="side of the random HR crop fed to the pipeline")
    seed: int = param(0, help="seed of the torch.Generator")
    output: Path = param(Path("preview"), help="output folder")


def _photos(paths: tuple[Path, ...]) -> list[tuple[str, np.ndarray]]:
    """(name, HWC RGB float32 [0,1]) for each image."""
    if paths:
        return [(str(p), read_rgb01(p)) for p in paths]
    return [(f"{PREFIX}{n}", load_photo(n).astype(np.float32) / 255.0) for n in SKIMAGE_PHOTOS]


def degrade_samples(pipeline: Pipeline, scale: int,
                    params: PreviewParams) -> tuple[torch.Tensor, torch.Tensor, list[dict[str, Any]]]:
    """``(LR, HR, what was drawn)`` of the ``n`` samples: sample ``i`` is a random ``crop`` of image
    ``i % len(images)`` (padded like the training dataset; offsets from a generator seeded with ``seed``)
    degraded once (:func:`~esrgan_core.degradation.once.degrade_once`) with ``seed`` and index ``i``."""
    crop_gen, photos = make_generator(params.seed), _photos(params.images)
    lqs, gts, samples = [], [], []
    for i in range(params.n):
        name, img = photos[i % len(photos)]
        crop, offset = pad_crop_hwc(img, params.crop, crop_gen)
        out = degrade_once(to_tensor01(crop), pipeline, scale, params.seed, i)
        lqs.append(out.lq)
        gts.append(out.gt)
        samples.append({"index": i, "image": name, "crop": list(offset), "record": out.record[0]})
    return torch.cat(lqs), torch.cat(gts), samples


def run_preview(params: PreviewParams, registries: Registries) -> tuple[Path, Path]:
    """Degrade ``n`` crops and write the grid PNG and the JSON; returns both paths."""
    if params.stages is not None:
        pipeline, scale, recipe = Pipeline(params.stages, registries), params.scale or 4, "inline"
    else:
        pipeline = Pipeline.from_recipe(params.recipe, registries)
        scale, recipe = params.scale or params.recipe.scale, params.recipe.preset
    lq, gt, samples = degrade_samples(pipeline, scale, params)
    lr_big = F.interpolate(lq, size=gt.shape[-2:], mode="nearest")
    gap = torch.ones(params.n, 3, gt.shape[-2], 8)
    rows = torch.cat([gt, gap, lr_big], dim=3)
    grid = torch.cat([torch.cat([r, torch.ones(3, 8, r.shape[-1])], dim=1) for r in rows], dim=1)[:, :-8]
    out = Path(params.output)
    png, js = out / "preview.png", out / "preview.json"
    write_image(png, grid.permute(1, 2, 0).numpy())
    doc: dict[str, Any] = {"recipe": recipe, "scale": scale, "seed": params.seed, "hr_size": params.crop,
                           "lr_size": list(lq.shape[-2:]), "samples": samples}
    atomic_write_text(js, json.dumps(doc, indent=1) + "\n")
    log.info("preview: wrote %s and %s", png, js)
    return png, js


def run_preview_task(params: PreviewParams, ctx: Any) -> int:
    run_preview(params, ctx.registries)
    return 0


def configure_preview(parser: Any) -> None:
    """The options of :class:`PreviewParams` (``stages`` only in a config), and the realism check's (``--real``)."""
    add_param_options(parser, PreviewParams, flags={"n": ("-n",), "output": ("-o", "--output")}, exclude=("stages",))
    from .realism_cli import add_realism_arguments

    add_realism_arguments(parser)


def handle_preview(args: Any) -> int:
    from esrgan_core.plugins import load_plugins

    if getattr(args, "real", None):
        from .realism_cli import handle_realism

        return handle_realism(args)

    host = load_plugins()
    data = params_from_args(PreviewParams, args)
    params = from_dict(PreviewParams, data, registries=host.registries)
    png, js = run_preview(params, host.registries)
    print(f"wrote {png} and {js}")
    return 0
