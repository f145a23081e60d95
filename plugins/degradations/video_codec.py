"""Stage ``video_codec``: encode and decode the LQ through a real video codec (PyAV / FFmpeg).

Per sample: a codec from ``codecs`` (h264 = libx264, hevc = libx265, mpeg2video, mpeg4,
vp9 = libvpx-vp9; :func:`available_codecs` lists those this PyAV build can encode), a quality
(``crf`` for h264/hevc/vp9, ``qscale`` for mpeg2video/mpeg4, or a bitrate from ``bpp``), and, for
``frames > 1``, a short synthetic clip: frame j is the image shifted by ``round((j - k) v)`` pixels
(reflect-padded), with the velocity ``v`` (speed from ``motion``, direction uniform) and the kept
frame ``k`` drawn per sample, so the kept frame is an I, P or B frame predicted from moving
neighbours (motion-compensation and GOP artefacts appear). The clip is encoded at ``pix_fmt``
(4:2:0 by default; odd sizes are replicate-padded to even, as encoders pad, and cropped back),
decoded, and frame k is returned. Runs on the CPU, one thread per encoder (deterministic).

Draws, all per sample and in this order: apply (``prob``), codec, crf, qscale, bpp, kept frame,
speed, direction. The record gets ``{"codec", "crf"|"qscale"|"bpp", "frames", "frame", "motion"}``.
"""

from __future__ import annotations

import functools
import io
import math
from typing import Literal

import attrs
import numpy as np
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_probs, check_range, check_unique
from esrgan_core.errors import ParamError
from esrgan_core.padding import replicate_to_multiple
from esrgan_core.schema import param
from esrgan_plugins.degradations.stage_util import apply_to, from_u8, rows_of, to_u8

ENCODERS = {"h264": "libx264", "hevc": "libx265", "mpeg2video": "mpeg2video", "mpeg4": "mpeg4", "vp9": "libvpx-vp9"}
CRF_MAX = {"h264": 51, "hevc": 51, "vp9": 63}  # qscale codecs: 1..31
QSCALE_MAX = 31
X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
Codec = Literal["h264", "hevc", "mpeg2video", "mpeg4", "vp9"]


@functools.cache
def available_codecs() -> tuple[str, ...]:
    """The codecs of ENCODERS this PyAV build can encode (its FFmpeg has the encoder); () without PyAV."""
    try:
        import av
    except ImportError:
        return ()

    out = []
    for name, encoder in ENCODERS.items():
        try:
            av.codec.Codec(encoder, "w")
        except Exception:  # UnknownCodecError and friends: not in this build
            continue
        out.append(name)
    return tuple(out)


def _pix_fmts(codec: str) -> set[str]:
    import av

    return {f.name for f in (av.codec.Codec(ENCODERS[codec], "w").video_formats or ())}


@attrs.frozen
class VideoCodecParams:
    """Options of the ``video_codec`` stage."""

    name: str = param("", help="key for the drawn values in the record (default: video_codec)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is encoded")
    codecs: tuple[Codec, ...] = param(("h264",), help="codecs to choose from (h264, hevc, mpeg2video, mpeg4, vp9)")
    codec_prob: tuple[float, ...] | None = param(None, help="probability of each codec (default: uniform)")
    crf: tuple[float, float] = param((20.0, 35.0), ge=0, help="CRF range for h264/hevc (0..51) and vp9 (0..63), rounded")
    qscale: tuple[float, float] = param((2.0, 12.0), ge=1, le=31, help="fixed quantiser range for mpeg2video/mpeg4, rounded")
    bpp: tuple[float, float] | None = param(None, gt=0, help="bitrate mode: bits per pixel per frame (replaces crf/qscale)")
    preset: str = param("medium", help="x264/x265 speed preset (ultrafast .. veryslow)")
    gop: int = param(12, ge=1, help="keyframe interval (GOP length)")
    bframes: int = param(2, ge=0, le=16, help="maximum consecutive B-frames")
    frames: int = param(1, ge=1, le=64, help="clip length; > 1 makes a moving clip from the crop (inter-frame artefacts)")
    motion: tuple[float, float] = param((0.0, 3.0), ge=0, help="clip speed range, pixels per frame")
    pix_fmt: Literal["yuv420p", "yuv422p", "yuv444p"] = param("yuv420p", help="chroma format of the encoded video")

    def validate(self) -> None:
        check_unique("codecs", self.codecs)
        if not self.codecs:
            raise ParamError("codecs", "at least one codec is required")
        have = available_codecs()
        if not have:
            raise ParamError("codecs", "video_codec needs PyAV with FFmpeg encoders: pip install 'esrgan[video]'")
        for c in self.codecs:
            if c not in have:
                raise ParamError("codecs", f"codec {c!r} is not in this PyAV build; available: {', '.join(have) or 'none'}")
            if self.pix_fmt not in _pix_fmts(c):
                raise ParamError("pix_fmt", f"{c} cannot encode {self.pix_fmt}; it takes {', '.join(sorted(_pix_fmts(c)))}")
            if c in CRF_MAX and self.crf[1] > CRF_MAX[c] and self.bpp is None:
                raise ParamError("crf", f"CRF {self.crf[1]:g} is outside {c}'s range [0, {CRF_MAX[c]}]")
        if self.codec_prob is not None:
            check_probs("codec_prob", self.codec_prob, len(self.codecs), "codec")
        for key in ("crf", "qscale", "motion"):
            check_range(key, getattr(self, key))
        if self.bpp is not None:
            check_range("bpp", self.bpp)
        if self.preset not in X26X_PRESETS:
            raise ParamError("preset", f"unknown preset {self.preset!r}; one of {', '.join(X26X_PRESETS)}")


@attrs.frozen
class Encoding:
    """What one sample is encoded with (no randomness left)."""

    codec: str
    crf: int = 23
    qscale: int = 4
    bpp: float | None = None
    frames: int = 1
    frame: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)

    def describe(self) -> dict:
        d: dict = {"codec": self.codec}
        if self.bpp is not None:
            d["bpp"] = self.bpp
        elif self.codec in CRF_MAX:
            d["crf"] = self.crf
        else:
            d["qscale"] = self.qscale
        if self.frames > 1:
            d.update(frames=self.frames, frame=self.frame, motion=[round(v, 4) for v in self.velocity])
        return d


def _configure(stream, enc: Encoding, p: VideoCodecParams, w: int, h: int) -> None:
    cc = stream.codec_context
    stream.width, stream.height, stream.pix_fmt = w, h, p.pix_fmt
    cc.gop_size, cc.max_b_frames = p.gop, p.bframes
    opts = {"threads": "1"}
    if enc.bpp is not None:
        cc.bit_rate = max(1000, int(enc.bpp * w * h * 25))
    if enc.codec in ("h264", "hevc"):
        opts["preset"] = p.preset
        if enc.bpp is None:
            opts["crf"] = str(enc.crf)
        if enc.codec == "hevc":
            opts["x265-params"] = f"log-level=error:pools=none:frame-threads=1:keyint={p.gop}:bframes={p.bframes}"
    elif enc.codec == "vp9":
        opts.update({"deadline": "good", "cpu-used": "5", "row-mt": "0"})
        if enc.bpp is None:
            opts.update({"crf": str(enc.crf), "b": "0"})
    elif enc.bpp is None:  # mpeg2video / mpeg4: fixed quantiser
        cc.qmin = cc.qmax = enc.qscale
    stream.options = opts


def _clip(img: np.ndarray, enc: Encoding) -> list[np.ndarray]:
    """The frames of the synthetic clip (HWC uint8); frame ``enc.frame`` is ``img`` itself."""
    if enc.frames == 1:
        return [img]
    h, w = img.shape[:2]
    shifts = [(round((j - enc.frame) * enc.velocity[1]), round((j - enc.frame) * enc.velocity[0])) for j in range(enc.frames)]
    m = max(1, max(max(abs(a), abs(b)) for a, b in shifts))
    big = np.pad(img, ((m, m), (m, m), (0, 0)), mode="reflect")
    return [np.ascontiguousarray(big[m + dy:m + dy + h, m + dx:m + dx + w]) for dy, dx in shifts]


def encode_decode(img: np.ndarray, enc: Encoding, p: VideoCodecParams) -> np.ndarray:
    """Round trip of one HWC RGB uint8 image (even sizes) through the codec; returns the kept frame."""
    import av

    h, w = img.shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format="matroska") as out:
        stream = out.add_stream(ENCODERS[enc.codec], rate=25)
        _configure(stream, enc, p, w, h)
        for frame in _clip(img, enc):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    buf.seek(0)
    with av.open(buf, "r") as inp:
        decoded = [f.to_ndarray(format="rgb24") for f in inp.decode(video=0)]
    if len(decoded) != enc.frames:
        raise RuntimeError(f"{enc.codec}: decoded {len(decoded)} frames of {enc.frames}")
    return decoded[enc.frame]


class VideoCodecStage:
    """``stage(batch, generator) -> batch``: video-codec round trip of ``batch.lq`` (RGB float [0,1] NCHW)."""

    def __init__(self, params: VideoCodecParams) -> None:
        self.params = params

    def draw(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, list[Encoding]]:
        p = self.params
        on = S.bernoulli(gen, n, p.prob)
        codec = S.choice(gen, n, p.codec_prob or [1.0 / len(p.codecs)] * len(p.codecs)).tolist()
        crf = S.uniform(gen, n, *p.crf).round().long().tolist()
        qs = S.uniform(gen, n, *p.qscale).round().long().tolist()
        bpp = S.uniform(gen, n, *(p.bpp or (1.0, 1.0))).tolist()
        frame = torch.floor(S.rand(gen, n) * p.frames).long().clamp_(max=p.frames - 1).tolist()
        speed = S.uniform(gen, n, *p.motion).tolist()
        angle = S.uniform(gen, n, 0.0, 2 * math.pi).tolist()
        encs = [Encoding(p.codecs[codec[i]], int(crf[i]), int(qs[i]), round(bpp[i], 6) if p.bpp else None, p.frames,
                         int(frame[i]), (speed[i] * math.cos(angle[i]), speed[i] * math.sin(angle[i])))
                for i in range(n)]
        return on, encs

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        on, encs = self.draw(len(batch), generator)

        def run(x: torch.Tensor, idx: list[int]) -> torch.Tensor:
            h, w = x.shape[-2:]
            imgs = to_u8(replicate_to_multiple(x, 2, 2))  # even sizes, as 4:2:0 encoders pad
            out = [encode_decode(imgs[j], encs[i], self.params) for j, i in enumerate(idx)]
            return from_u8(out, x)[..., :h, :w]

        batch.lq = apply_to(batch.lq, on, run)
        batch.note(self.params.name or "video_codec", rows_of(on, [e.describe() for e in encs]))
        return batch
