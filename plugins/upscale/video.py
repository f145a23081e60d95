"""Upscale one video file: decode, upscale in batches, encode in resumable segments, remux, rename.

Streaming: at most ``frame_batch`` decoded frames (and their results) are in memory at a time,
and only encoded segments are on disk. The output keeps the input's frame count and timestamps
(variable frame rate included; or a constant ``fps`` when overridden), its audio and subtitle
streams (copied packet for packet), rotation metadata, pixel format (where the codec can write
it) and colour range, matrix, primaries and transfer tags. See docs/upscale.md (Videos).
"""

from __future__ import annotations

import logging
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterator

import attrs
import numpy as np
import torch
from tqdm import tqdm

from esrgan_core.atomic import atomic_path
from esrgan_core.images import Image
from esrgan_core.upscaling.engine import Upscaler, resize01
from esrgan_core.upscaling.tiling import Tiler
from esrgan_plugins.upscale.params import UpscaleParams
from esrgan_plugins.upscale.verify import output_problem
from esrgan_plugins.upscale.video_encode import EncodeSpec, SegmentWriter, assemble, codec_options, preflight
from esrgan_plugins.upscale.video_io import (
    ENCODER_FOR,
    VideoError,
    VideoInfo,
    decode_rgb01,
    error_text,
    output_pix_fmt,
    pix_fmt_bits,
    probe,
    require_av,
)
from esrgan_plugins.upscale.video_parts import Parts, source_key

log = logging.getLogger(__name__)
UNKEYED = ("input", "output", "progress", "skip_existing", "recursive", "suffix", "ext")


class FrameBatcher:
    """Upscale a list of HWC RGB float32 [0,1] frames: one forward pass for the whole batch when
    untiled, else frame by frame through :meth:`Upscaler.upscale_image` (tiles, fp32 fallback)."""

    def __init__(self, up: Upscaler, *, size_multiple: int = 1, batch: int = 1, tile: int = 0, bits: int = 8) -> None:
        self.up, self.bits = up, bits
        net = getattr(up, "compute_network", None)
        self.tiler = None
        if batch > 1 and not tile and net is not None:
            def forward(x: torch.Tensor) -> torch.Tensor:
                with torch.no_grad():
                    return net(x.to(up.device, up.dtype)).float().cpu()
            self.tiler = Tiler(forward, up.scale, size_multiple=size_multiple)

    def one(self, rgb01: np.ndarray) -> np.ndarray:
        return self.up.upscale_image(Image(pixels=rgb01, mode="RGB", bit_depth=self.bits))

    def __call__(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        if self.tiler is None or len(frames) == 1:
            return [self.one(f) for f in frames]
        x = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
        out = self.tiler(x)
        if not bool(torch.isfinite(out).all()):
            return [self.one(f) for f in frames]  # per frame: the engine redoes bad frames in fp32
        out_np = out.clamp_(0.0, 1.0).permute(0, 2, 3, 1).numpy()
        if self.up.outscale is None:
            return list(out_np)
        h, w = frames[0].shape[:2]
        return [resize01(o, int(w * self.up.outscale), int(h * self.up.outscale)) for o in out_np]


def choose_codec(src: Path, info: VideoInfo, requested: str | None) -> str:
    """``requested``, or the encoder of the input's codec (libx264 when this PyAV build has none)."""
    av = require_av()
    name = requested or ENCODER_FOR.get(info.codec, info.codec)
    try:
        av.codec.Codec(name, "w")
    except ValueError:  # av's UnknownCodecError
        if requested:
            raise VideoError(f"{info.label()}: no encoder named {requested!r} in this PyAV build", file=src) from None
        log.warning("%s: no %s encoder in this PyAV build; encoding libx264", src, info.codec)
        name = "libx264"
    return name


def encode_spec(src: Path, info: VideoInfo, params: UpscaleParams, up: Upscaler) -> EncodeSpec:
    """Output codec, pixel format, size and timing for ``info`` under ``params``."""
    scale = up.outscale if up.outscale is not None else up.scale
    codec = choose_codec(src, info, params.codec)
    pix_fmt = output_pix_fmt(codec, info)
    if pix_fmt != info.pix_fmt:
        log.warning("%s: %s cannot write %s; encoding %s", src, codec, info.pix_fmt, pix_fmt)
    rate = Fraction(params.fps).limit_denominator(1001) if params.fps else (info.rate or Fraction(25))
    if params.fps and info.copied and info.rate and abs(rate - info.rate) > Fraction(1, 100):
        log.warning("%s: --fps %g retimes the video only; the copied audio/subtitles keep the original timing",
                    src, params.fps)
    return EncodeSpec(codec=codec, pix_fmt=pix_fmt, bits=pix_fmt_bits(pix_fmt), width=int(info.width * scale),
                      height=int(info.height * scale), time_base=1 / rate if params.fps else info.time_base, rate=rate,
                      retime=bool(params.fps), options=codec_options(codec, params.crf, params.preset),
                      rotation=info.rotation)


def job_key(src: Path, params: UpscaleParams, up: Upscaler, spec: EncodeSpec) -> dict[str, Any]:
    """Everything that shapes the output; a partial made under another key is not reused."""
    options = {k: v for k, v in attrs.asdict(params).items() if k not in UNKEYED}
    models = {}
    for name in (params.model, params.model2):
        if name and Path(name).is_file():
            models[name] = source_key(Path(name))
    return {"source": source_key(src), "options": options, "models": models, "device": up.device.type,
            "dtype": str(up.dtype), "spec": {k: str(v) for k, v in attrs.asdict(spec).items()}}


def _batches(frames: Iterator[tuple[int, np.ndarray]], segment: int, batch: int) -> Iterator[list]:
    """Batches of at most ``batch`` frames that never cross a segment boundary."""
    while True:
        left = segment
        while left:
            chunk = list(islice(frames, min(batch, left)))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def upscale_video(up: Upscaler, src: Path, dst: Path, params: UpscaleParams, *, size_multiple: int = 1,
                  on_frames: Callable[[int], None] | None = None) -> Path:
    """Upscale ``src`` into ``dst`` (written atomically); resumes from ``dst``'s partial when one matches.

    ``on_frames(n)`` is called after every batch with the number of frames encoded so far.
    """
    if dst.resolve() == src.resolve():
        raise VideoError("output would overwrite the input; choose another output folder or a suffix", file=src)
    info = probe(src)
    spec = encode_spec(src, info, params, up)
    preflight(src, dst, spec, info)
    parts = Parts(dst, job_key(src, params, up, spec), params.segment_frames)
    if parts.frames_done:
        log.info("%s: resuming after %d frame(s) kept in %s", src, parts.frames_done, parts.folder)
    total = info.frames or (round(info.duration * info.rate) if info.duration and info.rate else None)
    batcher = FrameBatcher(up, size_multiple=size_multiple, batch=params.frame_batch, tile=params.tile, bits=spec.bits)
    try:
        with tqdm(total=total, initial=parts.frames_done, unit="frame", desc=src.name, leave=False,
                  disable=not params.progress, dynamic_ncols=True) as bar:
            _encode_segments(src, info, spec, parts, batcher, params, bar, on_frames)
        with atomic_path(dst) as tmp:
            assemble(tmp, dst, parts.paths(), src, info, spec)
    except VideoError:
        parts.discard()  # the input itself is bad: a rerun would fail the same way
        raise
    except require_av().FFmpegError as exc:
        parts.discard()
        raise VideoError(f"{info.label()}: encoding failed: {error_text(exc)}", file=src) from None
    except BaseException:
        if parts.frames_done:
            log.warning("%s: stopped; %d frame(s) kept in %s; run the same command again to continue", src,
                        parts.frames_done, parts.folder)
        raise
    parts.discard()
    return dst


def _verify_frame(src: Path, info: VideoInfo, index: int, out: np.ndarray, rgb: np.ndarray) -> None:
    """A non-finite or all-black result stops the file: no such frame is ever encoded."""
    problem = output_problem(out, rgb)
    if problem:
        raise VideoError(f"{info.label()}: frame {index}: {problem}", file=src)


def _encode_segments(src: Path, info: VideoInfo, spec: EncodeSpec, parts: Parts, batcher: FrameBatcher,
                     params: UpscaleParams, bar: Any, on_frames: Callable[[int], None] | None) -> None:
    done = parts.frames_done
    frames = decode_rgb01(src, info, skip=done)
    writer, index, count, in_segment = None, len(parts.segments), done, 0
    try:
        for chunk in _batches(frames, params.segment_frames, params.frame_batch):
            if writer is None:
                writer, in_segment = SegmentWriter(parts.temp_path(index), spec, info), 0
            for (pts, rgb), out in zip(chunk, batcher([rgb for _, rgb in chunk])):
                _verify_frame(src, info, count, out, rgb)
                writer.write(count if spec.retime else pts, out)
                count += 1
            in_segment += len(chunk)
            if in_segment == params.segment_frames:
                writer.close()
                writer = None
                parts.commit(index, in_segment)
                index += 1
            bar.update(len(chunk))
            if on_frames is not None:
                on_frames(count)
        if writer is not None:
            writer.close()
            writer = None
            parts.commit(index, in_segment)
    finally:
        if writer is not None:
            writer.container.close()
