"""Run a super-resolution network over an image in overlapping tiles with blended seams.

The whole image stays on the CPU (float32); only one batch of tiles at a time visits the device.
Tiles lie on a grid spread evenly over the image so that neighbours overlap by at least
``overlap`` input pixels. Across each overlap the two tiles are cross-faded with a raised-cosine
ramp over the middle half of the overlap; the outer quarter next to each tile's cut edge (where
the network sees the artificial border) gets weight 0. Weights are normalised per axis so they sum
to 1 everywhere, so the output is a weighted sum accumulated straight into the result, with no
second weight buffer. Once ``overlap / 4`` reaches the network's receptive-field radius (in input
pixels), the tiled result equals the whole-image result up to float rounding.

Tensors here are RGB (or any channel order the network expects) float32 [0,1] NCHW.
"""

from __future__ import annotations

import logging
import math
from typing import Callable

import numpy as np
import torch

from esrgan_plugins.networks.padding import pad_to_multiple

log = logging.getLogger(__name__)

MIN_TILE = 32
Forward = Callable[[torch.Tensor], torch.Tensor]


def axis_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``[0, length)`` with overlaps >= ``overlap``."""
    if length <= tile:
        return [0]
    n = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def _ramp(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """0 before the middle half of [a, b), raised cosine across it, 1 after."""
    lo, hi = a + (b - a) / 4, b - (b - a) / 4
    if hi <= lo:
        return (u >= (a + b) / 2).astype(np.float64)
    t = np.clip((u - lo) / (hi - lo), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * t)


def axis_weights(starts: list[int], tile: int, scale: int) -> list[torch.Tensor]:
    """Per-tile 1-D blend weights at output resolution (``tile * scale`` values each), summing to 1."""
    n = len(starts)
    raw = []
    for i, s in enumerate(starts):
        u = s + (np.arange(tile * scale) + 0.5) / scale  # output pixel centres in input coordinates
        w = np.ones_like(u)
        if i > 0:
            w *= _ramp(u, s, starts[i - 1] + tile)
        if i < n - 1:
            w *= 1.0 - _ramp(u, starts[i + 1], s + tile)
        raw.append(w)
    total = np.zeros((starts[-1] + tile) * scale)
    for s, w in zip(starts, raw):
        total[s * scale:(s + tile) * scale] += w
    if np.any(total <= 0):
        raise ValueError("tile weights leave a gap; the overlap is too large for the tile size")
    return [torch.from_numpy(w / total[s * scale:(s + tile) * scale]).float() for s, w in zip(starts, raw)]


def tile_grid(h: int, w: int, tile: int, overlap: int) -> tuple[int, int, list[int], list[int]]:
    """``(tile height, tile width, row starts, column starts)`` of the tiles covering an H x W image.

    Tiles are at most ``tile`` on a side; the overlap is capped at half the tile.
    """
    th, tw = min(tile, h), min(tile, w)
    ys, xs = axis_starts(h, th, min(overlap, th // 2)), axis_starts(w, tw, min(overlap, tw // 2))
    return th, tw, ys, xs


class Tiler:
    """Upscale NCHW float32 CPU images with ``forward`` (a batch of equal-size tiles in, out).

    ``forward`` receives a CPU float32 batch and returns a CPU float32 batch ``scale`` times larger;
    it may raise ``torch.OutOfMemoryError``, in which case the batch is split, then the tile size
    is halved (kept a multiple of ``size_multiple``) and the failed tile is redone in sub-tiles.
    """

    def __init__(self, forward: Forward, scale: int, *, tile: int = 0, overlap: int = 32, batch: int = 1,
                 size_multiple: int = 1) -> None:
        if tile < 0 or overlap < 0 or batch < 1 or size_multiple < 1:
            raise ValueError("tile and overlap must be >= 0, batch and size_multiple >= 1")
        self.forward = forward
        self.scale = scale
        self.multiple = size_multiple
        self.tile = self._round_tile(tile) if tile else 0
        self.overlap = overlap
        self.batch = batch
        self.tile_limit = 0  # set after an out-of-memory error: no tile larger than this is tried

    def _round_tile(self, tile: int) -> int:
        return max(self.multiple, tile - tile % self.multiple)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """1xCxHxW float32 [0,1] CPU in -> 1xCx(H*scale)x(W*scale) float32 CPU out (not clamped).

        With tiles the result is a view of an HWC buffer (``out[0].permute(1, 2, 0)`` is contiguous).
        """
        h, w = image.shape[-2:]
        x = pad_to_multiple(image.float(), self.multiple)
        out = self._tiled(x, self.tile) if self.tile else self._run(x)
        return out[..., : h * self.scale, : w * self.scale]

    def _tiled(self, x: torch.Tensor, tile: int) -> torch.Tensor:
        _, _, h, w = x.shape
        th, tw, ys, xs = tile_grid(h, w, tile, self.overlap)  # th, tw: multiples of size_multiple, as are h and w
        s = self.scale
        wy, wx = axis_weights(ys, th, s), axis_weights(xs, tw, s)
        out: torch.Tensor | None = None
        cells = [(i, j) for i in range(len(ys)) for j in range(len(xs))]
        for k in range(0, len(cells), self.batch):
            chunk = cells[k:k + self.batch]
            tiles = torch.cat([x[..., ys[i]:ys[i] + th, xs[j]:xs[j] + tw] for i, j in chunk])
            result = self._run(tiles)
            if out is None:  # HWC, so the caller gets an HWC numpy array without another copy
                out = torch.zeros(h * s, w * s, result.shape[1])
            for t, (i, j) in enumerate(chunk):
                region = out[ys[i] * s:(ys[i] + th) * s, xs[j] * s:(xs[j] + tw) * s]
                region.addcmul_(result[t].permute(1, 2, 0), (wy[i][:, None] * wx[j][None, :])[..., None])
        assert out is not None
        return out.permute(2, 0, 1)[None]

    def _run(self, tiles: torch.Tensor) -> torch.Tensor:
        """Forward a batch of equal tiles, splitting or sub-tiling it after an out-of-memory error."""
        side = max(tiles.shape[-2:])
        if self.tile_limit and side > self.tile_limit:
            return torch.cat([self._tiled(t[None], self.tile_limit) for t in tiles])
        try:
            out = self.forward(tiles)
        except torch.OutOfMemoryError:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if tiles.shape[0] > 1:
                log.warning("out of memory with %d tiles per pass; continuing with 1", tiles.shape[0])
                self.batch = 1
                return torch.cat([self._run(t[None]) for t in tiles])
            new = self._round_tile(side // 2)
            if new < MIN_TILE or new >= side:
                raise
            log.warning("out of memory on a %d px tile; retrying with %d px tiles", side, new)
            self.tile_limit = new
            return self._tiled(tiles, new)
        expected = (tiles.shape[-2] * self.scale, tiles.shape[-1] * self.scale)
        if tuple(out.shape[-2:]) != expected:
            raise ValueError(f"network output {tuple(out.shape[-2:])} for input {tuple(tiles.shape[-2:])}: "
                             f"expected scale {self.scale}")
        return out
