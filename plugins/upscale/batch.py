"""Upscale many files: find inputs, name outputs, keep going past bad files, summarise.

Output names are ``{output}/{relative folder}/{stem}_{suffix}.{ext}``; an output never replaces
its input, and every file is written atomically (a temporary name renamed when complete).
"""

from __future__ import annotations

import glob
import logging
import time
from pathlib import Path
from typing import Any

import cv2
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from esrgan_core.atomic import clean_stale_temps
from esrgan_core.errors import ConfigError, EsrganError, ImageError, UnreadableImageError, short_message
from esrgan_core.images import IMAGE_EXTENSIONS, list_images, read_image, write_image
from esrgan_core.upscaling.engine import Upscaler
from esrgan_plugins.upscale.models import general_pair, load_network
from esrgan_plugins.upscale.params import UpscaleParams
from esrgan_plugins.upscale.verify import check_output_option, verify_output
from esrgan_plugins.upscale.video_io import VIDEO_EXTENSIONS, is_video

log = logging.getLogger(__name__)
NO_ALPHA_EXTS = (".jpg", ".jpeg", ".bmp")


def collect_inputs(spec: str, recursive: bool = False) -> tuple[list[Path], Path | None]:
    """Image and video files named by ``spec`` (a file, a folder or a glob) and the folder outputs mirror."""
    path = Path(spec)
    if path.is_dir():
        videos = (p for p in (path.rglob("*") if recursive else path.glob("*")) if p.is_file() and is_video(p))
        return sorted([*list_images(path, recursive), *videos]), path
    if path.is_file():
        return [path], None
    if glob.has_magic(spec):
        hits = (Path(p) for p in glob.glob(spec, recursive=recursive))
        return sorted(p for p in hits if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS + VIDEO_EXTENSIONS), None
    raise ConfigError(f"{spec!r} is not a file, a folder or a glob pattern that matches", path="input")


def output_path(src: Path, root: Path | None, params: UpscaleParams, single: bool) -> Path:
    """Where the result of ``src`` goes (before any alpha-forced format change)."""
    out = Path(params.output)
    if single and out.suffix.lower() in IMAGE_EXTENSIONS + VIDEO_EXTENSIONS:
        return out
    ext = src.suffix.lower() if params.ext == "auto" or is_video(src) else "." + params.ext.lower().lstrip(".")
    name = f"{src.stem}_{params.suffix}{ext}" if params.suffix else f"{src.stem}{ext}"
    folder = out / src.parent.relative_to(root) if root is not None else out
    return folder / name


def _model_choice(params: UpscaleParams) -> tuple[str, str | None, float | None]:
    if params.denoise_strength is not None and params.denoise_strength != 1.0:
        return general_pair(params.model, params.model2, params.denoise_strength)
    if params.model2 is not None:
        return params.model, params.model2, 0.5 if params.interpolate is None else params.interpolate
    return params.model, None, None


def build_upscaler(params: UpscaleParams) -> tuple[Upscaler, object]:
    """Load the model(s) named in ``params``; returns the upscaler and the model description."""
    if params.engine != "torch":
        from esrgan_core.upscaling.runtimes import load_runtime

        loaded, precision, device = load_runtime(params.engine, params.model), "fp32", "cpu"
    else:
        loaded, precision, device = load_network(*_model_choice(params)), params.precision, params.device
    up = Upscaler.from_loaded(loaded, tile=params.tile, tile_overlap=params.tile_overlap, tile_batch=params.tile_batch,
                              precision=precision, device=device, alpha=params.alpha,
                              outscale=params.outscale, channels_last=params.channels_last, compile=params.compile)
    return up, loaded.description


def upscale_file(up: Upscaler, src: Path, dst: Path) -> Path:
    """Upscale one file to ``dst`` (PNG instead when an alpha channel would not fit); returns the path."""
    image = read_image(src)
    if image.alpha is not None and dst.suffix.lower() in NO_ALPHA_EXTS:
        log.warning("%s: %s cannot hold the alpha channel; writing PNG", src, dst.suffix)
        dst = dst.with_suffix(".png")
    if dst.resolve() == src.resolve():
        raise ImageError("output would overwrite the input; choose another output folder or a suffix", file=src)
    pixels = up.upscale_image(image)
    verify_output(pixels, image.pixels, file=src)
    write_image(dst, pixels, bit_depth=image.bit_depth)
    return dst


def _upscale_video(up: Upscaler, desc: Any, src: Path, dst: Path, params: UpscaleParams) -> None:
    from esrgan_plugins.upscale.video import upscale_video  # PyAV is optional: imported for videos only

    upscale_video(up, src, dst, params, size_multiple=desc.size_multiple)


def run_upscale_task(params: UpscaleParams, context: Any) -> int:
    """The ``upscale`` task (``factory(params, context)``): :func:`run_upscale`."""
    return run_upscale(params)


def run_upscale(params: UpscaleParams) -> int:
    """Upscale every input; 0 when all succeeded (or were skipped), 2 when the only failures were
    unreadable inputs, 1 when anything else failed (e.g. a result that could not be written)."""
    files, root = collect_inputs(params.input, params.recursive)
    if not files:
        raise ConfigError(f"no image or video files found in {params.input!r}", path="input")
    check_output_option(params.output, single_file=len(files) == 1 and root is None)
    up, desc = build_upscaler(params)
    log.info("upscale: %d file(s) with %s (%s x%d) on %s in %s, tile %s", len(files), desc.source or params.model,
             desc.architecture, desc.scale, up.device, str(up.dtype).replace("torch.", ""), params.tile or "off")
    done, skipped, failed, unreadable, seen, cleaned = 0, 0, 0, 0, {}, set()
    start = time.perf_counter()
    with logging_redirect_tqdm():
        for src in tqdm(files, unit="file", disable=not params.progress, dynamic_ncols=True):
            dst = output_path(src, root, params, single=len(files) == 1 and root is None)
            if dst.parent not in cleaned:  # first file into this folder: leftovers of a killed run go
                cleaned.add(dst.parent)
                for leftover in clean_stale_temps(dst.parent):
                    log.info("removed %s (left by an interrupted write)", leftover)
            try:
                if dst in seen:
                    raise ImageError(f"output {dst} would also be written from {seen[dst]}; use --suffix or --ext", file=src)
                seen[dst] = src
                if params.skip_existing and dst.exists():
                    skipped += 1
                    continue
                if is_video(src):
                    _upscale_video(up, desc, src, dst, params)
                else:
                    upscale_file(up, src, dst)
                done += 1
            except EsrganError as exc:
                failed += 1
                unreadable += isinstance(exc, UnreadableImageError)
                log.error("error: %s", short_message(str(exc)))
            except (ValueError, RuntimeError, OSError, cv2.error) as exc:
                failed += 1
                log.error("error: %s: %s: %s", src, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    log.info("upscaled %d, skipped %d, failed %d of %d file(s) in %.1f s -> %s", done, skipped, failed, len(files),
             time.perf_counter() - start, params.output)
    return 0 if not failed else exit_code_for(failed, unreadable)


def exit_code_for(failed: int, unreadable: int) -> int:
    """2 when every failure was an input that cannot be read (bad input), else 1 (runtime failure)."""
    return 2 if failed == unreadable else 1
