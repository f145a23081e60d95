"""LR/SR sample pairs of a training run for a model page: the run's validation LQ images and the model's SR.

The LQ images are the ones the run validates on (``datasets.val`` of its ``config.yml``: a paired
dataset's ``lq``, or an HR image degraded once with the run's seeded pipeline), built by the
training engine's :func:`~esrgan_core.training.validation.validation_pairs` (which degrades through
:func:`esrgan_core.degradation.once.degrade_once`). Each LQ is centre-cropped
to at most ``side`` px (pages show crops), upscaled with the exported model, and written as
``{name}_LR.png`` / ``{name}_SR.png`` (RGB, 8 bit).
"""

from __future__ import annotations

import logging
from pathlib import Path

from esrgan_core.errors import EsrganError
from esrgan_core.images import write_image
from esrgan_core.modelfiles.description import LoadedModel
from esrgan_core.photos import base_dir

log = logging.getLogger(__name__)


def validation_pairs(run: Path) -> list[tuple[str, object]]:
    """``(name, 1x3xHxW LQ tensor)`` of the run's validation set; [] when the run has none."""
    from esrgan_core.config import load_config
    from esrgan_core.context import RunContext
    from esrgan_core.training.validation import validation_pairs as run_validation_pairs

    config, host = load_config(run / "config.yml")
    params = config.params
    if getattr(getattr(params, "datasets", None), "val", None) is None:
        return []
    return [(name, lq) for name, lq, _ in run_validation_pairs(params, RunContext(host, config), base_dir())]


def write_samples(run: Path, loaded: LoadedModel, folder: Path, *, limit: int = 3, side: int = 128) -> list[tuple[Path, Path]]:
    """Write up to ``limit`` LR/SR pairs into ``folder``; returns their paths (none without validation images)."""
    from esrgan_core.images import centre_crop, from_tensor01
    from esrgan_core.upscaling.engine import Upscaler

    try:
        pairs = validation_pairs(run)[:limit]
    except EsrganError as exc:  # e.g. the validation images moved since training: the release works without
        log.warning("no sample pairs: the run's validation set cannot be built: %s", exc)
        return []
    if not pairs:
        log.warning("%s has no validation images (datasets.val); no sample pairs written", run)
        return []
    up = Upscaler.from_loaded(loaded, device="cpu", precision="fp32")
    written = []
    for name, lq in pairs:
        lr = centre_crop(from_tensor01(lq), side)
        lr_path, sr_path = folder / f"{name}_LR.png", folder / f"{name}_SR.png"
        write_image(lr_path, lr)
        write_image(sr_path, up.upscale_rgb(lr, name=name))
        written.append((lr_path, sr_path))
    return written
