"""Benchmark figures: comparison-crop grids and the PSNR-vs-LPIPS scatter plot.

Grid panels are HWC RGB float32 [0,1] crops at HR size, left to right: LR (nearest-neighbour
enlarged, so its pixels show) | bicubic | each model | HR, each labelled in its top-left corner.
Everything is written atomically (``write_image`` / ``atomic_write_with``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import cv2
import numpy as np

from esrgan_core.atomic import atomic_write_with
from esrgan_core.images import write_image

GAP = 4  # white pixels between panels


def crop_box(lr_shape: tuple[int, ...], crop: int, scale: int) -> tuple[int, int, int, int]:
    """``(top, left, height, width)`` in LR pixels of the centred crop of ``crop`` HR pixels (0: all)."""
    h, w = int(lr_shape[0]), int(lr_shape[1])
    side = max(1, crop // scale) if crop else max(h, w)
    ch, cw = min(h, side), min(w, side)
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def cut(img: np.ndarray, box: tuple[int, int, int, int], factor: int) -> np.ndarray:
    """The part of ``img`` (HWC) under ``box`` (LR units), on a grid ``factor`` times finer."""
    t, x, h, w = (v * factor for v in box)
    return np.ascontiguousarray(img[t:t + h, x:x + w])


def label_panel(panel: np.ndarray, text: str) -> np.ndarray:
    """HWC RGB float32 [0,1] with ``text`` drawn white-on-black-outline in the top-left corner."""
    out = np.ascontiguousarray(np.round(np.clip(panel, 0, 1) * 255).astype(np.uint8))
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.4
    while size > 0.25 and cv2.getTextSize(text, font, size, 1)[0][0] > out.shape[1] - 8:
        size -= 0.05  # long labels: smaller type, so the label stays inside its panel
    cv2.putText(out, text, (4, 14), font, size, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (4, 14), font, size, (255, 255, 255), 1, cv2.LINE_AA)
    return out.astype(np.float32) / 255.0


def write_grid(path: Path, lr: np.ndarray, outputs: Mapping[str, np.ndarray], hr: np.ndarray, scale: int) -> None:
    """One row: LR (nearest x``scale``) | each output (in order) | HR, all HWC RGB float32 [0,1]."""
    lr_big = np.repeat(np.repeat(lr, scale, axis=0), scale, axis=1)
    panels = [label_panel(lr_big, "LR"), *(label_panel(v, k) for k, v in outputs.items()), label_panel(hr, "HR")]
    gap = np.ones((hr.shape[0], GAP, 3), np.float32)
    row = np.concatenate([x for p in panels for x in (p, gap)][:-1], axis=1)
    write_image(path, row)


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
