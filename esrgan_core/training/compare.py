"""After the last stage: LR | bicubic | each stage's EMA output | HR on held-out images.

Each held-out HR image (a file, or ``skimage:NAME``) is centre-cropped, degraded once by the run's
pipeline with a fixed seed, and upscaled by every stage's final EMA generator. The side-by-side
PNG goes to ``experiments/<name>/compare/<image>.png``; PSNR/SSIM and ST-LPIPS (when its weights are
available) of bicubic and of every stage are printed and written to ``compare/results.json``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from esrgan_core import photos
from esrgan_core.atomic import atomic_write_text
from esrgan_core.degradation.once import degrade_once
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.grid import write_grid
from esrgan_core.images import centre_crop, from_tensor01, to_tensor01
from esrgan_core.modelfiles.fit import load_into
from esrgan_core.optional_metrics import build_available
from esrgan_core.photos import load_ref, ref_name
from esrgan_core.runlayout import RunLayout
from esrgan_core.seeding import seeded_global
from esrgan_core.training.checkpoints import latest_ema
from esrgan_core.training.validation import build_metrics

log = logging.getLogger("esrgan.train")


def load_hr(ref: str, base_dir: Path, max_size: int, scale: int) -> np.ndarray:
    """HWC RGB float32 [0,1], centre-cropped to at most ``max_size`` and to a multiple of ``scale``."""
    return centre_crop(load_ref(ref, base_dir), max_size, scale)


def compare_pairs(run: Any, ctx: Any) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(name, lq, gt)`` of ``compare.images``: each centre-cropped (:func:`load_hr`) and degraded once
    (:func:`~esrgan_core.degradation.once.degrade_once`, seed ``compare.seed``, index = its position)."""
    pipeline = Pipeline.from_recipe(run.degradation, ctx.registries)
    pairs = []
    for i, ref in enumerate(run.compare.images):
        hr = to_tensor01(load_hr(ref, photos.base_dir(), run.compare.max_size, run.scale))
        out = degrade_once(hr, pipeline, run.scale, run.compare.seed, i)
        pairs.append((ref_name(ref), out.lq, out.gt))
    return pairs


def compare_stages(run: Any, ctx: Any, layout: RunLayout) -> dict[str, dict[str, dict[str, float]]]:
    """Write the comparison PNGs and ``results.json``; returns ``{image: {method: {metric: value}}}``."""
    metrics = build_metrics((), ctx) + build_available(ctx.registries, ("stlpips",))  # PSNR/SSIM vs perception
    nets = {}
    for spec in run.stages:
        with seeded_global(run.seed):  # init weights are overwritten; the caller's RNG stays untouched
            net = ctx.build(spec.params.network_g)
        load_into(net, latest_ema(layout.stage(spec.params.name)), strict=True, source=f"stage {spec.params.name}")
        nets[spec.params.name] = net.eval()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, lq, gt in compare_pairs(run, ctx):
        outs = {"bicubic": F.interpolate(lq, scale_factor=run.scale, mode="bicubic", align_corners=False)}
        with torch.no_grad():
            outs.update({stage: net(lq) for stage, net in nets.items()})
        hr_np = from_tensor01(gt)
        outs_np = {k: from_tensor01(v) for k, v in outs.items()}
        results[name] = {k: {m.name: float(m(v, hr_np)) for m in metrics} for k, v in outs_np.items()}
        write_grid(layout.compare / f"{name}.png", from_tensor01(lq), outs_np, hr_np, run.scale)
        for method, vals in results[name].items():
            log.info("compare %-22s %-10s %s", name, method, "  ".join(f"{k} {v:.4f}" for k, v in vals.items()))
    atomic_write_text(layout.compare / "results.json", json.dumps(results, indent=1) + "\n")
    log.info("side-by-side images (LR | bicubic | %s | HR): %s", " | ".join(nets), layout.compare)
    return results
