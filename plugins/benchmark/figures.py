"""Benchmark figures: where the comparison crops are cut, and the PSNR-vs-LPIPS scatter plot.

The crop grids themselves are drawn by :func:`esrgan_core.grid.write_grid` (LR | bicubic | each
model | HR). Everything is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from esrgan_core.atomic import atomic_write_with
from esrgan_core.degradation.crop import gt_window
from esrgan_core.images import centre_box


def crop_box(lr_shape: tuple[int, ...], crop: int, scale: int) -> tuple[int, int, int, int]:
    """``(top, left, height, width)`` in LR pixels of the centred crop of ``crop`` HR pixels (0: all)."""
    return centre_box(int(lr_shape[0]), int(lr_shape[1]), max(1, crop // scale) if crop else None)


def cut(img: np.ndarray, box: tuple[int, int, int, int], factor: int) -> np.ndarray:
    """The part of ``img`` (HWC) under ``box`` (LR units), on a grid ``factor`` times finer."""
    rows, cols = gt_window(*box, factor)
    return np.ascontiguousarray(img[rows, cols])


def _pick(names: list[str], prefix: str) -> str | None:
    return next((n for n in names if n == prefix), None) or next((n for n in names if n.startswith(prefix)), None)


def write_scatter(path: Path, metrics: list[Any], results: Mapping[str, Mapping[str, Any]]) -> bool:
    """PSNR (y) vs LPIPS (x) of every method on every dataset, when both metrics ran. True if written."""
    names = [m.name for m in metrics]
    psnr, lpips = _pick(names, "psnr"), _pick(names, "lpips") or _pick(names, "stlpips")
    if psnr is None or lpips is None:
        return False
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)  # the Agg renderer, whatever pyplot's backend is
    ax = fig.add_subplot()
    markers = "osD^v<>ph*"
    for i, (dataset, by_method) in enumerate(results.items()):
        points = [(label, r["mean"][lpips], r["mean"][psnr]) for label, r in by_method.items()
                  if r["mean"][lpips] is not None and r["mean"][psnr] is not None]
        ax.scatter([p[1] for p in points], [p[2] for p in points], marker=markers[i % len(markers)], label=dataset)
        for label, x, y in points:
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(f"{lpips} (lower is better)")
    ax.set_ylabel(f"{psnr} dB (higher is better)")
    ax.set_title("Perception-distortion: PSNR vs LPIPS")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    return True
