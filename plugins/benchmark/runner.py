"""The ``benchmark`` task: every method (bicubic + models) on every test set, scored by every metric.

Order of work: metrics are built first (a missing LPIPS/FID weight file stops the run before any
inference), then the test sets are read and degraded (cached), then the models are loaded. SR
outputs are HWC RGB float32 clipped to [0,1]; each metric rounds SR and HR to 8-bit levels itself.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from esrgan_core.context import RunContext
from esrgan_core.errors import ConfigError
from esrgan_core.grid import write_grid
from esrgan_core.optional_metrics import build_available
from esrgan_core.photos import base_dir
from esrgan_plugins.benchmark.data import TestSet, default_cache_dir, load_test_set
from esrgan_plugins.benchmark.figures import crop_box, cut, write_scatter
from esrgan_plugins.benchmark.models import Method, build_methods
from esrgan_plugins.benchmark.params import BenchmarkParams
from esrgan_plugins.benchmark.report import protocol, write_reports

log = logging.getLogger("esrgan.benchmark")
DEFAULT_PERCEPTUAL = ("stlpips", "fid")  # fid: n/a for sets under its min_images (50), e.g. the built-in 8 photos


def build_metrics(params: BenchmarkParams, ctx: RunContext) -> list[Any]:
    """Metric objects; default psnr + ssim (``crop_border = scale``, RGB) + stlpips + fid when their
    weights are available (see :mod:`esrgan_core.optional_metrics`). Names must be unique."""
    if params.metrics:
        metrics = [ctx.build(spec) for spec in params.metrics]
    else:
        reg = ctx.registries["metrics"]
        metrics = [reg.get(n).factory(reg.get(n).params(crop_border=params.scale, test_y_channel=False))
                   for n in ("psnr", "ssim")] + build_available(ctx.registries, DEFAULT_PERCEPTUAL)
    names = [m.name for m in metrics]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise ConfigError(f"two metrics are both named {n!r}", path=f"metrics[{i}]")
    return metrics


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def score(method: Method, ts: TestSet, metrics: list[Any], crops: dict[str, dict[str, np.ndarray]],
          crop: int, scale: int) -> dict[str, Any]:
    """Upscale every pair, score it; returns ``{"mean", "per_image", "seconds"}`` (non-finite -> None).

    ``crops[image][label]`` receives the comparison crop (``crop`` HR pixels, centred) of each SR image.
    """
    per_image: dict[str, dict[str, float | None]] = {}
    srs, hrs, seconds = [], [], 0.0
    image_metrics = [m for m in metrics if getattr(m, "per_image", True)]
    set_metrics = [m for m in metrics if not getattr(m, "per_image", True)]
    for pair in ts.pairs:
        start = time.perf_counter()
        with torch.inference_mode():
            sr = method.upscale(pair.lr)
        seconds += time.perf_counter() - start
        if sr.shape != pair.hr.shape:
            raise ConfigError(f"{method.label} made {sr.shape} from {pair.lr.shape}, expected {pair.hr.shape}",
                              path="models")
        per_image[pair.name] = {m.name: _finite(float(m(sr, pair.hr))) for m in image_metrics}
        crops[pair.name][method.label] = cut(sr, crop_box(pair.lr.shape, crop, scale), scale)
        if set_metrics:
            srs.append(sr)
            hrs.append(pair.hr)
    mean: dict[str, float | None] = {}
    for m in metrics:
        if getattr(m, "per_image", True):
            vals = [v[m.name] for v in per_image.values()]
            mean[m.name] = None if any(v is None for v in vals) else float(np.mean(vals))
        else:
            mean[m.name] = _finite(float(m.compute(srs, hrs)))
    return {"mean": mean, "per_image": per_image, "seconds": seconds}


def run_benchmark(params: BenchmarkParams, ctx: RunContext) -> int:
    """Run the benchmark and write every output file into ``params.output``."""
    metrics = build_metrics(params, ctx)
    cache = Path(params.cache_dir).expanduser() if params.cache_dir else default_cache_dir()
    sets = [load_test_set(d, i, scale=params.scale, registries=ctx.registries, base_dir=base_dir(), cache_dir=cache)
            for i, d in enumerate(params.dataset_entries())]
    methods = build_methods(params)
    out = Path(params.output)
    results: dict[str, dict[str, Any]] = {}
    for ts in sets:
        crops: dict[str, dict[str, np.ndarray]] = {p.name: {} for p in ts.pairs}
        results[ts.name] = {}
        for method in methods:
            r = score(method, ts, metrics, crops, params.compare_crop, params.scale)
            results[ts.name][method.label] = r
            log.info("%-16s %-24s %s  (%.2f s)", ts.name, method.label,
                     "  ".join(f"{k} {_fmt(v)}" for k, v in r["mean"].items()), r["seconds"])
        for pair in ts.pairs:
            box = crop_box(pair.lr.shape, params.compare_crop, params.scale)
            write_grid(out / "comparisons" / ts.name / f"{pair.name}.png", cut(pair.lr, box, 1), crops[pair.name],
                       cut(pair.hr, box, params.scale), params.scale)
    proto = protocol(params, metrics, sets)
    write_reports(out, proto, methods, sets, metrics, results)
    write_scatter(out / "psnr_vs_lpips.png", metrics, results)
    log.info("benchmark results in %s", out)
    return 0


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"
