"""Stage ``chroma_subsample``: 4:2:0 / 4:2:2 / 4:1:1 chroma as image and video encoders store it.

RGB -> Y'CbCr (``matrix``: BT.601 full range as JPEG/JFIF and WebP use, or BT.709), the two
chroma planes are reduced by (2, 2) for 4:2:0, (1, 2) for 4:2:2, (1, 4) for 4:1:1 with the
drawn ``down`` filter (``box``: mean of each block, libjpeg's downsampler; ``point``: the
top-left sample, a decimating encoder; ``bicubic``: antialiased bicubic, like FFmpeg's swscale),
brought back with the drawn ``up`` filter (``nearest``: sample replication, libjpeg without fancy
upsampling; ``bilinear``: the triangle filter of libjpeg's fancy upsampling; ``bicubic``), and
converted back to RGB. Luma is untouched: Y' of the output equals Y' of the input (up to the final
clamp, ``clip``). Sizes that are not multiples of the block are replicate-padded, then cropped.

Draws per sample, in this order: apply (``prob``), mode, down filter, up filter.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch
import torch.nn.functional as F

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_probs, check_unique
from esrgan_core.errors import ParamError
from esrgan_core.padding import replicate_to_multiple
from esrgan_core.schema import param
from esrgan_plugins.degradations.stage_util import apply_to, rows_of

Mode = Literal["420", "422", "411"]
Down = Literal["box", "point", "bicubic"]
Up = Literal["nearest", "bilinear", "bicubic"]
FACTORS = {"420": (2, 2), "422": (1, 2), "411": (1, 4)}
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}  # (Kr, Kb)


@attrs.frozen
class ChromaParams:
    """Options of the ``chroma_subsample`` stage."""

    name: str = param("", help="key for the drawn values in the record (default: chroma)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample is subsampled")
    modes: tuple[Mode, ...] = param(("420",), help="subsampling patterns to choose from (420, 422, 411)")
    mode_prob: tuple[float, ...] | None = param(None, help="probability of each mode (default: uniform)")
    down: tuple[Down, ...] = param(("box",), help="downsampling filters to choose from (uniformly)")
    up: tuple[Up, ...] = param(("bilinear",), help="upsampling filters to choose from (uniformly)")
    matrix: Literal["bt601", "bt709"] = param("bt601", help="Y'CbCr matrix")
    clip: bool = param(True, help="clamp the RGB result to [0, 1]")

    def validate(self) -> None:
        for key in ("modes", "down", "up"):
            if not getattr(self, key):
                raise ParamError(key, "at least one entry is required")
            check_unique(key, getattr(self, key))
        if self.mode_prob is not None:
            check_probs("mode_prob", self.mode_prob, len(self.modes), "mode")


def rgb_to_ycbcr(x: torch.Tensor, matrix: str = "bt601") -> torch.Tensor:
    """(B,3,H,W) RGB [0,1] -> Y' [0,1], Cb, Cr centred on 0 (full range)."""
    kr, kb = MATRICES[matrix]
    r, g, b = x.unbind(1)
    y = kr * r + (1 - kr - kb) * g + kb * b
    return torch.stack([y, (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))], dim=1)


def ycbcr_to_rgb(x: torch.Tensor, matrix: str = "bt601") -> torch.Tensor:
    kr, kb = MATRICES[matrix]
    y, cb, cr = x.unbind(1)
    r = y + 2 * (1 - kr) * cr
    b = y + 2 * (1 - kb) * cb
    g = (y - kr * r - kb * b) / (1 - kr - kb)
    return torch.stack([r, g, b], dim=1)


def resample_chroma(c: torch.Tensor, factor: tuple[int, int], down: str, up: str) -> torch.Tensor:
    """(B,2,H,W) chroma with H, W multiples of ``factor`` -> reduced by ``factor`` and brought back."""
    fh, fw = factor
    h, w = c.shape[-2:]
    if down == "box":
        small = F.avg_pool2d(c, kernel_size=(fh, fw))
    elif down == "point":
        small = c[..., ::fh, ::fw]
    else:
        small = F.interpolate(c, size=(h // fh, w // fw), mode="bicubic", align_corners=False, antialias=True)
    if up == "nearest":
        return small.repeat_interleave(fh, dim=-2).repeat_interleave(fw, dim=-1)
    return F.interpolate(small, size=(h, w), mode=up, align_corners=False)


def subsample(x: torch.Tensor, mode: str, down: str, up: str, matrix: str = "bt601") -> torch.Tensor:
    """Chroma subsampling of RGB NCHW ``x`` (no clamp); any size."""
    fh, fw = FACTORS[mode]
    h, w = x.shape[-2:]
    ycc = rgb_to_ycbcr(replicate_to_multiple(x, fh, fw), matrix)
    chroma = resample_chroma(ycc[:, 1:], (fh, fw), down, up)
    return ycbcr_to_rgb(torch.cat([ycc[:, :1], chroma], dim=1), matrix)[..., :h, :w]


class ChromaStage:
    """``stage(batch, generator) -> batch``: chroma subsampling of ``batch.lq``."""

    def __init__(self, params: ChromaParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        on = S.bernoulli(generator, n, p.prob)
        mode = S.choice(generator, n, p.mode_prob or [1.0 / len(p.modes)] * len(p.modes)).tolist()
        down = S.choice(generator, n, [1.0 / len(p.down)] * len(p.down)).tolist()
        up = S.choice(generator, n, [1.0 / len(p.up)] * len(p.up)).tolist()
        drawn = [{"mode": p.modes[m], "down": p.down[d], "up": p.up[u]} for m, d, u in zip(mode, down, up)]

        def run(x: torch.Tensor, idx: list[int]) -> torch.Tensor:
            out = torch.cat([subsample(x[j:j + 1], drawn[i]["mode"], drawn[i]["down"], drawn[i]["up"], p.matrix)
                             for j, i in enumerate(idx)])
            return out.clamp(0, 1) if p.clip else out

        batch.lq = apply_to(batch.lq, on, run)
        batch.note(p.name or "chroma", rows_of(on, drawn))
        return batch
