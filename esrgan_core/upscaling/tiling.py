"""Run a super-resolution network over an image in tiles that cost what they cover, seams blended.

Shared by upscaling, training validation and anything else that runs a network on whole images.
Public API: :class:`Tiler` (the runner), :func:`tile_grid` (where its tiles go),
:func:`axis_placement` / :func:`axis_weights` (one axis of it) and :func:`tile_for_budget`
(``tile: auto``). Tensors here are float32 NCHW [0,1] in whatever channel order the network takes.

Placement. ``tile`` bounds the network's input side; ``overlap`` is the least overlap of two
neighbouring tiles. Per axis the fewest tiles that cover the image with that overlap are used
(``n = ceil((L - overlap) / (tile - overlap))``), and then the tile is shrunk to the smallest size
(a multiple of the network's size multiple) that still covers the image with ``n`` tiles, so the
pixels computed are ``L + (n - 1) * overlap`` per axis instead of ``n * tile``.

Seams. Each overlap is split into a blend band of ``overlap / 2`` pixels centred in it, where the
two tiles are cross-faded with a raised cosine, and a context margin on either side (at least
``overlap / 4``) where a tile's weight is 0 because the network sees the tile's cut edge there.
The weights sum to 1 everywhere, so the output is a weighted sum accumulated straight into one HWC
buffer. Once the context margin reaches the network's receptive-field radius (input pixels), the
tiled result equals the whole-image one up to float rounding.
"""

from __future__ import annotations

import logging
import math
from typing import Callable

import numpy as np
import torch

from esrgan_core.padding import pad_to_multiple

__all__ = ["MIN_TILE", "Tiler", "axis_placement", "axis_weights", "tile_for_budget", "tile_grid"]

log = logging.getLogger(__name__)

MIN_TILE = 32
Forward = Callable[[torch.Tensor], torch.Tensor]


def axis_placement(length: int, tile: int, overlap: int, multiple: int = 1) -> tuple[int, list[int]]:
    """``(size, starts)`` of the fewest, smallest equal tiles (size <= ``tile``, a multiple of
    ``multiple`` when ``tile`` is) covering ``[0, length)`` with neighbours overlapping >= ``overlap``.

    ``overlap`` is capped at half the tile. One tile of ``length`` when the axis fits in one.
    """
    if length <= tile:
        return length, [0]
    overlap = min(overlap, tile // 2)
    n = math.ceil((length - overlap) / (tile - overlap))
    size = -(-(length + (n - 1) * overlap) // n)
    size = min(tile, -(-size // multiple) * multiple)
    return size, [round(i * (length - size) / (n - 1)) for i in range(n)]


def _ramp(u: np.ndarray, centre: float, half: float) -> np.ndarray:
    """0 below ``centre - half``, a raised cosine up to ``centre + half``, 1 above."""
    if half <= 0:
        return (u >= centre).astype(np.float64)
    t = np.clip((u - centre + half) / (2 * half), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * t)


def axis_weights(starts: list[int], tile: int, scale: int, blend: float | None = None) -> list[torch.Tensor]:
    """Per-tile 1-D blend weights at output resolution (``tile * scale`` values each), summing to 1.

    Each overlap is cross-faded over ``blend`` input pixels centred in it (default: half of the
    actual overlap); the rest of the overlap is context with weight 0 for the tile it cuts.
    """
    n = len(starts)
    raw = []
    for i, s in enumerate(starts):
        u = s + (np.arange(tile * scale) + 0.5) / scale  # output pixel centres in input coordinates
        w = np.ones_like(u)
        if i > 0:
            w *= _ramp(u, *_band(s, starts[i - 1] + tile, blend))
        if i < n - 1:
            w *= 1.0 - _ramp(u, *_band(starts[i + 1], s + tile, blend))
        raw.append(w)
    total = np.zeros((starts[-1] + tile) * scale)
    for s, w in zip(starts, raw):
        total[s * scale:(s + tile) * scale] += w
    if np.any(total <= 0):
        raise ValueError("tile weights leave a gap; the overlap is too large for the tile size")
    return [torch.from_numpy(w / total[s * scale:(s + tile) * scale]).float() for s, w in zip(starts, raw)]


def _band(a: int, b: int, blend: float | None) -> tuple[float, float]:
    """Centre and half-width of the cross-fade in the overlap ``[a, b)``."""
    width = (b - a) / 2 if blend is None else min(blend, (b - a) / 2)
    return (a + b) / 2, width / 2


def tile_grid(h: int, w: int, tile: int, overlap: int, multiple: int = 1) -> tuple[int, int, list[int], list[int]]:
    """``(tile height, tile width, row starts, column starts)`` of the tiles covering an H x W image."""
    th, ys = axis_placement(h, tile, overlap, multiple)
    tw, xs = axis_placement(w, tile, overlap, multiple)
    return th, tw, ys, xs


def tile_for_budget(h: int, w: int, bytes_per_pixel: float, budget_bytes: float, multiple: int = 1) -> int:
    """``tile: auto``: 0 (whole image) when H x W input pixels fit ``budget_bytes`` at
    ``bytes_per_pixel``, else the largest square tile side that fits (a multiple, >= ``MIN_TILE``)."""
    pixels = budget_bytes / max(bytes_per_pixel, 1e-9)
    if h * w <= pixels:
        return 0
    side = math.isqrt(int(pixels))
    return max(MIN_TILE, multiple, side - side % multiple)


class Tiler:
    """Upscale NCHW float32 CPU images with ``forward`` (a batch of equal-size tiles in, out).

    ``forward`` receives a CPU float32 batch and returns a CPU float32 batch ``scale`` times larger;
    it may raise ``torch.OutOfMemoryError``, in which case the batch is split, then the tile size
    is halved (kept a multiple of ``size_multiple``) and the failed tile is redone in sub-tiles.
    ``tile=0`` runs the whole image at once unless ``max_pixels`` (``tile: auto``) says it is too
    large, in which case the largest tile of at most that many pixels is used.
    """

    def __init__(self, forward: Forward, scale: int, *, tile: int = 0, overlap: int = 24, batch: int = 1,
                 size_multiple: int = 1, max_pixels: int = 0) -> None:
        if tile < 0 or overlap < 0 or batch < 1 or size_multiple < 1 or max_pixels < 0:
            raise ValueError("tile, overlap and max_pixels must be >= 0, batch and size_multiple >= 1")
        self.forward = forward
        self.scale = scale
        self.multiple = size_multiple
        self.tile = self._round_tile(tile) if tile else 0
        self.overlap = overlap
        self.batch = batch
        self.max_pixels = max_pixels
        self.tile_limit = 0  # set after an out-of-memory error: no tile larger than this is tried
        self._bound = 0  # the tile bound the tiles being run were placed with (0: whole image)

    def _round_tile(self, tile: int) -> int:
        return max(self.multiple, tile - tile % self.multiple)

    def tile_for(self, h: int, w: int) -> int:
        """The tile side used for an H x W input (0: whole image)."""
        if self.tile or not self.max_pixels or h * w <= self.max_pixels:
            return self.tile
        return tile_for_budget(h, w, 1.0, self.max_pixels / self.batch, self.multiple)  # a pass holds `batch` tiles

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """1xCxHxW float32 [0,1] CPU in -> 1xCx(H*scale)x(W*scale) float32 CPU out (not clamped).

        With tiles the result is a view of an HWC buffer (``out[0].permute(1, 2, 0)`` is contiguous).
        """
        h, w = image.shape[-2:]
        x = pad_to_multiple(image.float(), self.multiple)
        tile = self.tile_for(*x.shape[-2:])
        self._bound = 0
        out = self._tiled(x, tile) if tile else self._run(x)
        return out[..., : h * self.scale, : w * self.scale]

    def _tiled(self, x: torch.Tensor, tile: int) -> torch.Tensor:
        _, _, h, w = x.shape
        self._bound = tile
        th, tw, ys, xs = tile_grid(h, w, tile, self.overlap, self.multiple)  # h, w: multiples already
        s, blend = self.scale, min(self.overlap, tile // 2) / 2
        wy, wx = axis_weights(ys, th, s, blend), axis_weights(xs, tw, s, blend)
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
            half = self._bound // 2
            new = self._round_tile(half if 0 < half < side else side // 2)  # halve the tile bound
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
