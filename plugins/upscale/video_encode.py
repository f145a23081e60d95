"""Video out: the encoder settings, segment files, and the final remux with audio and subtitles.

Frames are encoded into NUT segments (see :mod:`.video_parts`) with the input's time base and
timestamps (or ``i / fps`` with an fps override). :func:`assemble` writes the final container:
the segments' video packets one after another, and the input's audio and subtitle packets copied
unchanged, interleaved by time. Every segment starts with a key frame; a segment's first decode
timestamps can fall before the previous segment's last one (B-frame delay), so they are moved up
just past it (never past their presentation time), which keeps every presentation timestamp.
"""

from __future__ import annotations

import heapq
import io
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import attrs
import numpy as np

from esrgan_plugins.upscale.video_io import VideoError, VideoInfo, error_text, even_size_needed, require_av, to_video_frame

log = logging.getLogger(__name__)
FORMAT_FOR_SUFFIX = {".mkv": "matroska", ".webm": "webm", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov",
                     ".avi": "avi", ".ts": "mpegts", ".nut": "nut"}


@attrs.frozen
class EncodeSpec:
    """How output frames are encoded."""

    codec: str
    pix_fmt: str
    bits: int
    width: int
    height: int
    time_base: Fraction
    rate: Fraction  # nominal frame rate (rate control; the constant rate with ``retime``)
    retime: bool  # True with an fps override: frame i is shown at i / rate
    options: dict[str, str]
    rotation: int  # display rotation in degrees counter-clockwise, carried as metadata


def codec_options(codec: str, crf: int | None, preset: str | None) -> dict[str, str]:
    """Encoder options for ``--crf`` / ``--preset`` (VP9: constant quality needs ``b=0``; ``preset`` is its deadline)."""
    opts: dict[str, str] = {}
    if codec in ("ffv1", "huffyuv", "ffvhuff", "utvideo") and (crf is not None or preset is not None):
        log.warning("%s is lossless: --crf and --preset do not apply", codec)
        return opts
    if crf is not None:
        opts["crf"] = str(crf)
        if codec.startswith("libvpx"):
            opts["b"] = "0"
    if preset is not None:
        opts["deadline" if codec.startswith("libvpx") else "preset"] = preset
    if codec == "libx265":
        opts["x265-params"] = "log-level=error"
    return opts


def _tag_colours(cc: Any, info: VideoInfo) -> None:
    cc.color_range, cc.colorspace = info.color_range, info.colorspace
    cc.color_primaries, cc.color_trc = info.color_primaries, info.color_trc


def _add_video_stream(container: Any, spec: EncodeSpec, info: VideoInfo) -> Any:
    s = container.add_stream(spec.codec, rate=spec.rate, options=dict(spec.options))
    s.width, s.height, s.pix_fmt = spec.width, spec.height, spec.pix_fmt
    s.time_base = s.codec_context.time_base = spec.time_base
    _tag_colours(s.codec_context, info)
    return s


class SegmentWriter:
    """Encode frames into one NUT segment file (video only)."""

    def __init__(self, path: Path, spec: EncodeSpec, info: VideoInfo) -> None:
        self.spec, self.info = spec, info
        self.container = require_av().open(str(path), "w", format="nut", options={"avoid_negative_ts": "disabled"})
        self.stream = _add_video_stream(self.container, spec, info)

    def write(self, pts: int, rgb01: np.ndarray) -> None:
        frame = to_video_frame(rgb01, self.spec.pix_fmt, self.spec.bits, self.info)
        frame.pts, frame.time_base = pts, self.spec.time_base
        self.container.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.container.mux(self.stream.encode(None))
        self.container.close()


def preflight(src: Path, dst: Path, spec: EncodeSpec, info: VideoInfo) -> None:
    """Encode one frame and mux it with the copied streams into memory: a bad codec, pixel format,
    frame size or container fails here, in a second, instead of after the long upscale."""
    av = require_av()
    even_w, even_h = even_size_needed(spec.pix_fmt)
    if (even_w and spec.width % 2) or (even_h and spec.height % 2):
        raise VideoError(f"{info.label()}: output frame size {spec.width}x{spec.height} does not fit {spec.pix_fmt} "
                         "(even width and height needed); choose another --outscale", file=src)
    try:
        with av.open(str(src)) as inp, av.open(io.BytesIO(), "w", format=FORMAT_FOR_SUFFIX.get(dst.suffix.lower())) as out:
            _add_video_stream(out, spec, info)
            for i in info.copied:
                out.add_stream_from_template(inp.streams[i])
            frame = to_video_frame(np.zeros((spec.height, spec.width, 3), np.float32), spec.pix_fmt, spec.bits, info)
            frame.pts, frame.time_base = 0, spec.time_base
            out.mux(out.streams[0].encode(frame))
            out.mux(out.streams[0].encode(None))
    except (av.FFmpegError, ValueError) as exc:
        raise VideoError(f"{info.label()}: cannot write {spec.codec} {spec.pix_fmt} {spec.width}x{spec.height} "
                         f"into {dst.suffix}: {error_text(exc)}", file=src) from None


def _rescale(t: int, src: Fraction, dst: Fraction) -> int:
    return int(round(t * src / dst))


def _video_packets(segments: list[Path], out_stream: Any) -> Iterator[tuple[Fraction, int, Any]]:
    """The segments' packets in decode order, timestamps in the output stream's time base.

    NUT does not store decode timestamps, and each segment restarts its encoder, so decode
    timestamps are rebuilt: the encoder's where it is known and still after the previous one, else
    one tick after the previous one (never after the presentation timestamp, which is kept).
    """
    av = require_av()
    tb, last = out_stream.time_base, None
    for path in segments:
        with av.open(str(path)) as seg:
            for pkt in seg.demux(seg.streams.video[0]):
                if pkt.size == 0:
                    continue
                src_tb = pkt.time_base
                pts = _rescale(pkt.pts, src_tb, tb)
                dts = pts if last is None and pkt.dts is None else _rescale(pkt.dts, src_tb, tb) if pkt.dts is not None else last + 1
                if last is not None and dts <= last:
                    dts = last + 1
                pkt.time_base, pkt.pts, pkt.dts = tb, pts, min(dts, pts)
                last = pkt.dts
                pkt.stream = out_stream
                yield pkt.dts * tb, 0, pkt


def _copied_packets(src: Path, info: VideoInfo, streams: dict[int, Any]) -> Iterator[tuple[Fraction, int, Any]]:
    if not streams:
        return
    with require_av().open(str(src)) as inp:
        for pkt in inp.demux(*[inp.streams[i] for i in streams]):
            if pkt.size == 0:
                continue
            t = pkt.dts if pkt.dts is not None else pkt.pts
            index = pkt.stream.index
            pkt.stream = streams[index]
            yield (t * pkt.time_base if t is not None else Fraction(0)), index + 1, pkt


def assemble(tmp: Path, dst: Path, segments: list[Path], src: Path, info: VideoInfo, spec: EncodeSpec) -> None:
    """Write ``tmp`` (the final container format of ``dst``): video from ``segments``, audio/subtitles from ``src``."""
    av = require_av()
    try:
        with av.open(str(segments[0])) as first, av.open(str(src)) as inp, \
                av.open(str(tmp), "w", format=FORMAT_FOR_SUFFIX.get(dst.suffix.lower())) as out:
            vout = out.add_stream_from_template(first.streams.video[0])
            vout.time_base = spec.time_base
            _tag_colours(vout.codec_context, info)  # NUT does not keep the colour tags; codecs like FFV1 need them
            if spec.rotation:
                vout.set_display_rotation(spec.rotation)
            copied = {i: out.add_stream_from_template(inp.streams[i]) for i in info.copied}
            out.start_encoding()  # the muxer fixes the output time bases here
            merged = heapq.merge(_video_packets(segments, vout), _copied_packets(src, info, copied),
                                 key=lambda item: (item[0], item[1]))
            for _, _, pkt in merged:
                out.mux(pkt)
    except (av.FFmpegError, ValueError) as exc:
        raise VideoError(f"{info.label()}: cannot write the output {dst.name}: {error_text(exc)}", file=src) from None
