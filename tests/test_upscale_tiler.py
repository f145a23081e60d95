"""Tiling: blend weights, tiled == untiled with enough overlap, no seams, OOM retry, padding."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.upscaling.tiling import MIN_TILE, Tiler, axis_placement, axis_weights, tile_for_budget, tile_grid
from tests.upscale_nets import MemoryLimitedNet, MultipleOf4Net, NearestNet, ShuffleNet, seeded


def _photo(h: int, w: int) -> torch.Tensor:
    """RGB float32 [0,1] 1x3xHxW crop of skimage's astronaut photo."""
    a = skimage.data.astronaut()[100:100 + h, 150:150 + w].astype(np.float32) / 255
    return torch.from_numpy(a.transpose(2, 0, 1).copy())[None]


def _fwd(net):
    def forward(x):
        with torch.no_grad():
            return net(x)
    return forward


@pytest.mark.parametrize("length,tile,overlap,multiple", [(100, 32, 8, 1), (64, 64, 16, 1), (65, 64, 16, 1),
                                                         (500, 128, 32, 1), (37, 16, 8, 1), (256, 128, 32, 4), (1000, 200, 24, 8)])
def test_tiles_are_the_fewest_and_smallest_that_cover_the_axis(length, tile, overlap, multiple):
    size, starts = axis_placement(length, tile, overlap, multiple)
    n, ov = len(starts), min(overlap, tile // 2)
    assert size <= tile and (size % multiple == 0 or size == length)
    assert starts[0] == 0 and starts[-1] + size == length
    assert all(a + size - b >= ov for a, b in zip(starts, starts[1:]))
    assert n == 1 or (n - 1) * tile - (n - 2) * ov < length  # one tile fewer cannot cover the axis
    smaller = size - multiple  # the next smaller size cannot cover it with n tiles either
    assert n == 1 or n * smaller - (n - 1) * ov < length


def test_tiles_cost_what_they_cover():
    """256 px at tile 128, overlap 32: 3 tiles of 107 (1.57x the pixels in 2-D), not 3 of 128 (2.25x)."""
    th, tw, ys, xs = tile_grid(256, 256, 128, 32)
    assert (th, tw, ys, xs) == (107, 107, [0, 74, 149], [0, 74, 149])
    assert (len(ys) * th) ** 2 / 256**2 < 1.58


def test_auto_tile_is_whole_image_within_budget_else_largest_fitting_square():
    assert tile_for_budget(100, 200, 10.0, 100 * 200 * 10) == 0
    assert tile_for_budget(1000, 1000, 4.0, 4 * 300 * 300, multiple=8) == 296
    assert tile_for_budget(1000, 1000, 4.0, 4.0, multiple=1) == MIN_TILE  # never below the minimum tile


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_blend_weights_sum_to_one_and_ignore_cut_edges(scale):
    size, starts = axis_placement(150, 48, 16)
    weights = axis_weights(starts, size, scale, blend=8)
    total = torch.zeros(150 * scale)
    for s, w in zip(starts, weights):
        total[s * scale:(s + size) * scale] += w
    torch.testing.assert_close(total, torch.ones_like(total))
    inner, margin = weights[1], (starts[0] + size - starts[1] - 8) // 2  # context on each side of the blend band
    assert margin >= 4
    assert float(inner[: margin * scale].abs().max()) == 0.0 and float(inner[-margin * scale:].abs().max()) == 0.0


@pytest.mark.parametrize("batch", [1, 3])
def test_tiled_equals_untiled_once_overlap_covers_receptive_field(batch):
    net = seeded(ShuffleNet(scale=2))  # receptive-field radius 3 px; overlap/4 = 4 covers it
    x = _photo(70, 95)
    whole = Tiler(_fwd(net), 2)(x)
    tiled = Tiler(_fwd(net), 2, tile=32, overlap=16, batch=batch)(x)
    assert tiled.shape == (1, 3, 140, 190)
    torch.testing.assert_close(tiled, whole, atol=1e-6, rtol=0)


def test_too_small_overlap_differs_then_matches():
    net = seeded(ShuffleNet(scale=2))
    x = _photo(64, 64)
    whole = Tiler(_fwd(net), 2)(x)
    small = Tiler(_fwd(net), 2, tile=24, overlap=4)(x)  # unused margin 1 px < radius 3
    assert float((small - whole).abs().max()) > 1e-4


def test_tile_size_rounded_and_image_padded_to_size_multiple():
    net = seeded(MultipleOf4Net())
    x = _photo(37, 50)
    whole = Tiler(_fwd(net), 2, size_multiple=4)(x)
    tiled = Tiler(_fwd(net), 2, tile=30, overlap=8, size_multiple=4)(x)  # tile 30 -> 28
    assert whole.shape == tiled.shape == (1, 3, 74, 100)


def test_out_of_memory_halves_the_tile_and_retries():
    limited = MemoryLimitedNet(seeded(ShuffleNet(scale=2)), limit=32)
    x = _photo(80, 80)
    tiler = Tiler(_fwd(limited), 2, tile=64, overlap=16, batch=4)
    out = tiler(x)
    assert tiler.batch == 1 and tiler.tile_limit == 32
    assert max(max(s[-2:]) for s in limited.sizes[-3:]) <= 32
    whole = Tiler(_fwd(limited.net), 2)(x)
    torch.testing.assert_close(out, whole, atol=1e-6, rtol=0)


def test_whole_image_out_of_memory_falls_back_to_tiles():
    limited = MemoryLimitedNet(NearestNet(2), limit=50)
    x = _photo(64, 96)
    out = Tiler(_fwd(limited), 2)(x)
    torch.testing.assert_close(out, torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest"))


def test_auto_budget_tiles_only_images_over_it():
    net = seeded(ShuffleNet(scale=2))
    x = _photo(64, 96)
    limited = MemoryLimitedNet(net, limit=48)
    tiler = Tiler(_fwd(limited), 2, overlap=16, max_pixels=48 * 48)
    assert tiler.tile_for(40, 40) == 0 and tiler.tile_for(64, 96) == 48
    out = tiler(x)
    assert max(max(s[-2:]) for s in limited.sizes) <= 48 and tiler.tile_limit == 0  # no OOM retry needed
    torch.testing.assert_close(out, Tiler(_fwd(net), 2)(x), atol=1e-6, rtol=0)


def test_wrong_scale_is_a_clear_error():
    with pytest.raises(ValueError, match="expected scale 4"):
        Tiler(_fwd(NearestNet(2)), 4)(_photo(16, 16))
