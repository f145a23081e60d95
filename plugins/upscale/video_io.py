"""Video files in: probing, streaming decode to RGB float frames, and RGB frames back to video frames.

Frames leave :func:`decode_rgb01` as HWC RGB float32 [0,1] numpy arrays, one at a time (never
the whole video in memory), converted with the stream's own colour matrix and range. 8-bit
formats go through ``rgb24``, deeper ones through ``rgb48le``; :func:`to_video_frame` converts back
with the same matrix and range. PyAV (the ``video`` extra) is imported lazily.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import attrs
import numpy as np

from esrgan_core.errors import ConfigError, ImageError

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".ts", ".nut")
# Preferred encoder for a decoded codec when no --codec is given (the same codec when we can write it).
ENCODER_FOR = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "vp8": "libvpx", "av1": "libsvtav1"}
COPIED_TYPES = ("audio", "subtitle")


class VideoError(ImageError):
    """A video cannot be read, encoded or written; the message names the file and the stream."""


def require_av() -> Any:
    """The ``av`` module, or a one-line error naming the pip extra."""
    try:
        import av
    except ImportError:
        raise ConfigError("video input needs PyAV: pip install 'esrgan[video]'", path="input") from None
    return av


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


@attrs.frozen
class VideoInfo:
    """What the output must carry over from the input's first video stream."""

    index: int
    codec: str
    width: int
    height: int
    pix_fmt: str
    bits: int
    time_base: Fraction
    rate: Fraction | None
    frames: int  # 0 when the container does not say
    duration: Fraction | None  # seconds, when known
    color_range: int
    colorspace: int
    color_primaries: int
    color_trc: int
    copied: tuple[int, ...]  # indices of audio and subtitle streams, remuxed unchanged
    rotation: int  # display rotation (degrees counter-clockwise) of the first frame

    def label(self) -> str:
        return f"stream #{self.index} ({self.codec} {self.width}x{self.height} {self.pix_fmt})"


def _duration(container: Any, stream: Any) -> Fraction | None:
    if stream.duration is not None and stream.time_base is not None:
        return stream.duration * stream.time_base
    if container.duration is not None:
        return Fraction(container.duration, 1_000_000)
    return None


def probe(src: Path) -> VideoInfo:
    """Open ``src`` and describe its first video stream; VideoError when unreadable or without video."""
    av = require_av()
    try:
        with av.open(str(src)) as c:
            if not c.streams.video:
                kinds = ", ".join(f"#{s.index} {s.type}" for s in c.streams) or "none"
                raise VideoError(f"no video stream (streams: {kinds})", file=src)
            s = c.streams.video[0]
            cc = s.codec_context
            if not cc.pix_fmt or not s.width or not s.height:
                raise VideoError(f"stream #{s.index} ({cc.name}): cannot be decoded (no pixel format or size)", file=src)
            first = next(iter(c.decode(s)), None)
            if first is None:
                raise VideoError(f"stream #{s.index} ({cc.name}): no frame could be decoded", file=src)
            bits = pix_fmt_bits(cc.pix_fmt)
            return VideoInfo(index=s.index, codec=cc.name, width=s.width, height=s.height, pix_fmt=cc.pix_fmt,
                             bits=bits, time_base=s.time_base, rate=s.guessed_rate or s.average_rate,
                             frames=int(s.frames or 0), duration=_duration(c, s), color_range=int(cc.color_range),
                             colorspace=int(cc.colorspace), color_primaries=int(cc.color_primaries),
                             color_trc=int(cc.color_trc),
                             copied=tuple(t.index for t in c.streams if t.type in COPIED_TYPES),
                             rotation=int(first.rotation or 0))
    except av.FFmpegError as exc:
        raise VideoError(f"not a readable video: {error_text(exc)}", file=src) from None


def error_text(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).splitlines()[0] if text else type(exc).__name__


def decode_rgb01(src: Path, info: VideoInfo, skip: int = 0) -> Iterator[tuple[int, np.ndarray]]:
    """``(pts, HWC RGB float32 [0,1])`` for every frame of the video stream after the first ``skip``
    (decoded but not converted), in display order.

    Raises VideoError naming the stream on a decoding error, or when the stream ends before the
    frame count or duration its container announced (a truncated file).
    """
    av = require_av()
    rgb_fmt, peak = ("rgb24", 255.0) if info.bits <= 8 else ("rgb48le", 65535.0)
    count, last = 0, None
    try:
        with av.open(str(src)) as c:
            stream = c.streams[info.index]
            stream.thread_type = "AUTO"
            for frame in c.decode(stream):
                if count < skip:
                    count, last = count + 1, frame.pts
                    continue
                rgb = frame.reformat(format=rgb_fmt, src_color_range=frame.color_range).to_ndarray()
                pts = frame.pts if frame.pts is not None else count
                yield pts, rgb.astype(np.float32) / np.float32(peak)
                count, last = count + 1, pts
    except av.FFmpegError as exc:
        raise VideoError(f"{info.label()}: decoding failed after {count} frame(s): {error_text(exc)}", file=src) from None
    if count < skip:
        raise VideoError(f"{info.label()}: {count} frame(s), fewer than the {skip} the partial result holds", file=src)
    _check_complete(src, info, count, last)


def _check_complete(src: Path, info: VideoInfo, count: int, last_pts: int | None) -> None:
    if count == 0:
        raise VideoError(f"{info.label()}: no frame could be decoded", file=src)
    if info.frames and count < info.frames:
        raise VideoError(f"{info.label()}: truncated or corrupt: {count} of {info.frames} frames decoded", file=src)
    if not info.frames and info.duration and info.rate and last_pts is not None:
        end = last_pts * info.time_base + 1 / info.rate
        if end < info.duration - 2 / info.rate:
            raise VideoError(f"{info.label()}: truncated or corrupt: frames end at {float(end):.3f} s of "
                             f"{float(info.duration):.3f} s", file=src)


def to_video_frame(rgb01: np.ndarray, pix_fmt: str, bits: int, info: VideoInfo) -> Any:
    """HWC RGB float32 [0,1] -> an ``av.VideoFrame`` in ``pix_fmt`` with the input's matrix and range."""
    av = require_av()
    if bits <= 8:
        frame = av.VideoFrame.from_ndarray(np.round(rgb01 * 255.0).astype(np.uint8), format="rgb24")
    else:
        frame = av.VideoFrame.from_ndarray(np.round(rgb01 * 65535.0).astype(np.uint16), format="rgb48le")
    frame.colorspace = info.colorspace  # the matrix swscale uses for the RGB -> YUV step
    out = frame.reformat(format=pix_fmt, dst_color_range=info.color_range)
    out.color_primaries, out.color_trc = info.color_primaries, info.color_trc
    return out


def pix_fmt_bits(pix_fmt: str) -> int:
    """Bits per component of a pixel format (8 for yuv420p, 10 for yuv420p10le)."""
    return max(comp.bits for comp in require_av().VideoFormat(pix_fmt).components)


def output_pix_fmt(codec: str, info: VideoInfo) -> str:
    """The input's pixel format when ``codec`` can write it, else the closest one it can (same depth first)."""
    av = require_av()
    formats = [f.name for f in (av.codec.Codec(codec, "w").video_formats or ())]
    if not formats or info.pix_fmt in formats:
        return info.pix_fmt
    depth = "p10le" if 8 < info.bits <= 10 else ("p12le" if info.bits > 10 else "p")
    for name in (f"yuv420{depth}", "yuv420p"):
        if name in formats:
            return name
    return formats[0]


def even_size_needed(pix_fmt: str) -> tuple[bool, bool]:
    """(width, height) must be even for this pixel format (chroma subsampled)."""
    fmt = require_av().VideoFormat(pix_fmt)
    return fmt.chroma_width(3) != 3, fmt.chroma_height(3) != 3
