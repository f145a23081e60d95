"""Synthetic videos for the video upscale tests, written with PyAV, and readers for the results."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.conftest import needs_extra
from tests.upscale_nets import seeded

av = needs_extra("video", "av")  # skips the importing test (or test file) without esrgan[video]

MS = Fraction(1, 1000)


def tiny_x4_model(path: Path, seed: int = 0) -> Path:
    """A tiny x4 SRVGGNetCompact (8 features, 2 convs) with seeded random weights, saved as a .pth."""
    net = seeded(SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=4)), seed=seed, std=0.05)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"params": net.state_dict()}, path)
    return path


def vfr_pts(n: int = 30) -> list[int]:
    """Milliseconds: 20 frames at 30 fps, then a variable-rate stretch alternating 20 and 50 ms."""
    pts = [round(i * 1000 / 30) for i in range(min(n, 20))]
    for i in range(n - len(pts)):
        pts.append(pts[-1] + (50 if i % 2 else 20))
    return pts


def pattern_rgb(i: int, w: int, h: int) -> np.ndarray:
    """Frame ``i`` of a moving pattern: HWC RGB uint8 (diagonal ramps that shift every frame, plus a moving box)."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 8 + i * 5) % 256, (y * 10 + i * 3) % 256, ((x + y) * 4 + i * 7) % 256], -1).astype(np.uint8)
    bx = (i * 2) % max(1, w - 6)
    img[h // 3:h // 3 + 6, bx:bx + 6] = (250, 240, 20)
    return img


def make_video(path: Path, *, codec: str = "ffv1", pix_fmt: str = "yuv420p", size: tuple[int, int] = (32, 24),
               n: int = 30, audio: str | None = "flac", pts: list[int] | None = None, rotation: int = 0,
               color_range: int | None = None, colorspace: int | None = None, subtitles: bool = False) -> list[int]:
    """Write a video with a moving pattern (a 440 Hz tone, two SubRip cues); returns the frames' pts in ms."""
    pts = pts or vfr_pts(n)
    w, h = size
    srt = path.with_name(path.stem + "-cues.srt")
    srt.write_text("1\n00:00:00,100 --> 00:00:00,400\nHello\n\n2\n00:00:00,500 --> 00:00:00,800\nWorld\n\n")
    with av.open(str(path), "w") as out, av.open(str(srt)) as cues:
        v = out.add_stream(codec, rate=30)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        v.time_base = v.codec_context.time_base = MS
        if color_range is not None:
            v.codec_context.color_range = color_range
        if colorspace is not None:
            v.codec_context.colorspace = colorspace
        if rotation:
            v.set_display_rotation(rotation)
        a = out.add_stream(audio, rate=8000, layout="mono") if audio else None
        sub = out.add_stream_from_template(cues.streams[0]) if subtitles else None
        for i, p in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(pattern_rgb(i, w, h), format="rgb24")
            frame = frame.reformat(format=pix_fmt, dst_color_range=color_range or 0)
            frame.pts, frame.time_base = p, MS
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            t = np.arange(int(8000 * (pts[-1] / 1000 + 0.05)))
            samples = (np.sin(t / 8000 * 2 * np.pi * 440) * 10000).astype(np.int16)[None]
            af = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            af.sample_rate, af.pts = 8000, 0
            out.mux(a.encode(af))
            out.mux(a.encode(None))
        for packet in cues.demux(cues.streams[0]) if sub is not None else ():
            if packet.size:
                packet.stream = sub
                out.mux(packet)
    srt.unlink()
    return pts


def frames(path: Path, fmt: str = "rgb24") -> list[tuple[Fraction, np.ndarray]]:
    """(presentation time in seconds, HWC RGB array) of every video frame."""
    with av.open(str(path)) as c:
        return [(f.pts * f.time_base, f.reformat(format=fmt, src_color_range=f.color_range).to_ndarray())
                for f in c.decode(video=0)]


def packets(path: Path, kind: str) -> list[tuple[Fraction, str]]:
    """(pts in seconds, md5 of the payload) of every packet of the first stream of ``kind``."""
    with av.open(str(path)) as c:
        s = next(s for s in c.streams if s.type == kind)
        return [(p.pts * p.time_base, hashlib.md5(bytes(p)).hexdigest()) for p in c.demux(s) if p.size]


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)
