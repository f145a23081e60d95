"""Stage ``image_codec``: WebP or AVIF compression of the LQ through Pillow's encoders (libwebp, libavif).

Per sample, in this order: apply (``prob``), format (``formats`` with ``format_prob``), quality
(uniform in ``quality``, rounded; Pillow's 0..100 scale for both). WebP is lossy VP8 intra coding
in 4:2:0 (``method`` = effort 0..6); AVIF is AV1 intra coding with ``subsampling`` (4:2:0 by
default) at encoder ``speed`` 0..10, one thread (deterministic). The image is rounded to 8 bits
first. The record gets ``{"format", "quality"}``. :func:`available_formats` lists what this
Pillow build has (``PIL.features``).
"""

from __future__ import annotations

import io
from typing import Literal

import attrs
import numpy as np
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_probs, check_range, check_unique
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.degradations.stage_util import apply_to, from_u8, rows_of, to_u8

Format = Literal["webp", "avif"]


def available_formats() -> tuple[str, ...]:
    from PIL import features

    return tuple(f for f in ("webp", "avif") if features.check(f))


@attrs.frozen
class ImageCodecParams:
    """Options of the ``image_codec`` stage."""

    name: str = param("", help="key for the drawn values in the record (default: image_codec)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is compressed")
    formats: tuple[Format, ...] = param(("webp", "avif"), help="formats to choose from")
    format_prob: tuple[float, ...] | None = param(None, help="probability of each format (default: uniform)")
    quality: tuple[float, float] = param((30.0, 90.0), ge=0, le=100, help="quality range (0..100), rounded")
    method: int = param(4, ge=0, le=6, help="WebP encoder effort (0 fast .. 6 slow)")
    speed: int = param(8, ge=0, le=10, help="AVIF encoder speed (0 slow .. 10 fast)")
    subsampling: Literal["4:2:0", "4:2:2", "4:4:4"] = param("4:2:0", help="AVIF chroma subsampling")

    def validate(self) -> None:
        if not self.formats:
            raise ParamError("formats", "at least one format is required")
        check_unique("formats", self.formats)
        have = available_formats()
        for f in self.formats:
            if f not in have:
                raise ParamError("formats", f"format {f!r} is not in this Pillow build; available: {', '.join(have) or 'none'}")
        if self.format_prob is not None:
            check_probs("format_prob", self.format_prob, len(self.formats), "format")
        check_range("quality", self.quality)


def roundtrip(img: np.ndarray, fmt: str, quality: int, p: ImageCodecParams) -> np.ndarray:
    """Encode then decode one HWC RGB uint8 image with Pillow."""
    from PIL import Image

    buf = io.BytesIO()
    pil = Image.fromarray(img, mode="RGB")
    if fmt == "webp":
        pil.save(buf, format="WEBP", quality=quality, method=p.method)
    else:
        pil.save(buf, format="AVIF", quality=quality, speed=p.speed, subsampling=p.subsampling, max_threads=1)
    buf.seek(0)
    with Image.open(buf) as out:
        return np.asarray(out.convert("RGB"))


class ImageCodecStage:
    """``stage(batch, generator) -> batch``: WebP/AVIF round trip of ``batch.lq`` (RGB float [0,1] NCHW)."""

    def __init__(self, params: ImageCodecParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob)
        fmt = S.choice(generator, n, p.format_prob or [1.0 / len(p.formats)] * len(p.formats)).tolist()
        quality = S.uniform(generator, n, *p.quality).round().long().tolist()
        drawn = [{"format": p.formats[f], "quality": int(q)} for f, q in zip(fmt, quality)]

        def run(x: torch.Tensor, idx: list[int]) -> torch.Tensor:
            imgs = to_u8(x)
            return from_u8([roundtrip(imgs[j], drawn[i]["format"], drawn[i]["quality"], p) for j, i in enumerate(idx)], x)

        batch.lq = apply_to(batch.lq, on, run)
        batch.note(p.name or "image_codec", rows_of(on, drawn))
        return batch
