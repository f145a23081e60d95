"""The last check before an upscaled image is written: never replace anything with garbage.

A result holding NaN/Inf, or an all-black result of an input that is not black, is an error for
that file (after the engine's fp32 retry); nothing is written, so an earlier output of the same
name stays byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from esrgan_core.errors import ImageError
from esrgan_plugins.upscale.engine import BLACK_IN, BLACK_OUT


def verify_output(pixels: np.ndarray, source: np.ndarray, *, file: str | Path) -> None:
    """Raise ImageError when ``pixels`` (HWC float) is non-finite or all black while ``source`` is not."""
    if not bool(np.isfinite(pixels).all()):
        raise ImageError("the model produced non-finite (NaN/Inf) pixels; nothing was written", file=file)
    color = pixels if pixels.ndim == 2 or pixels.shape[2] in (1, 3) else pixels[..., :3]
    src = source if source.ndim == 2 or source.shape[2] in (1, 3) else source[..., :3]
    if color.size and float(color.max()) < BLACK_OUT and float(src.max()) > BLACK_IN:
        raise ImageError("the model produced an all-black image from a non-black input; nothing was written", file=file)
