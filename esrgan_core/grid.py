"""Side-by-side comparison grids: labelled panels in one row (training comparison, benchmark crops).

Panels are HWC RGB float32 [0,1] at HR size: LR (nearest-neighbour enlarged, so its pixels show) |
each output | HR, each labelled in its top-left corner; the PNG is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import cv2
import numpy as np

from esrgan_core.images import write_image

GAP = 4  # white pixels between panels


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
