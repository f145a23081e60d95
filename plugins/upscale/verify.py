"""The last check before an upscaled image is written: never replace anything with garbage.

A result holding NaN/Inf, or an all-black result of an input that is not black, is an error for
that file (after the engine's fp32 retry); nothing is written, so an earlier output of the same
name stays byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from esrgan_core.errors import ConfigError, ImageError
from esrgan_core.images import IMAGE_EXTENSIONS
from esrgan_core.upscaling.engine import BLACK_IN, BLACK_OUT
from esrgan_plugins.upscale.video_io import VIDEO_EXTENSIONS

# Image formats people may name in -o that we cannot write: an error, not a folder named "x.gif".
UNWRITABLE_IMAGE_EXTENSIONS = (".gif", ".apng", ".avif", ".heic", ".heif", ".jxl", ".jp2", ".exr", ".hdr", ".tga",
                               ".ico", ".ppm", ".pgm", ".pbm", ".pnm", ".svg", ".psd", ".dds", ".raw", ".dng")


def check_output_option(output: str | Path, single_file: bool) -> None:
    """``-o``: an image file name (one input) or a folder; a name in an image format we cannot write
    is an error rather than a folder of that name."""
    suffix = Path(output).suffix.lower()
    if suffix in UNWRITABLE_IMAGE_EXTENSIONS and not Path(output).is_dir():
        raise ConfigError(f"cannot write {suffix} images; name an output file ending in {', '.join(IMAGE_EXTENSIONS)}"
                          " (one input) or an output folder", path="output")
    if suffix in IMAGE_EXTENSIONS + VIDEO_EXTENSIONS and not single_file and not Path(output).is_dir():
        raise ConfigError(f"{output!r} names one output file but there are several inputs; name an output folder",
                          path="output")


def output_problem(pixels: np.ndarray, source: np.ndarray) -> str | None:
    """Why ``pixels`` (HWC float) must not be written: non-finite, or all black while ``source`` is not."""
    if not bool(np.isfinite(pixels).all()):
        return "the model produced non-finite (NaN/Inf) pixels; nothing was written"
    color = pixels if pixels.ndim == 2 or pixels.shape[2] in (1, 3) else pixels[..., :3]
    src = source if source.ndim == 2 or source.shape[2] in (1, 3) else source[..., :3]
    if color.size and float(color.max()) < BLACK_OUT and float(src.max()) > BLACK_IN:
        return "the model produced an all-black image from a non-black input; nothing was written"
    return None


def verify_output(pixels: np.ndarray, source: np.ndarray, *, file: str | Path) -> None:
    """Raise ImageError when :func:`output_problem` finds one."""
    problem = output_problem(pixels, source)
    if problem:
        raise ImageError(problem, file=file)
