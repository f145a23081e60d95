"""Tiling: blend weights, tiled == untiled with enough overlap, no seams, OOM retry, padding."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_plugins.upscale.tiler import Tiler, axis_starts, axis_weights
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


@pytest.mark.parametrize("length,tile,overlap", [(100, 32, 8), (64, 64, 16), (65, 64, 16), (500, 128, 32), (37, 16, 8)])
def test_tiles_cover_axis_with_at_least_the_overlap(length, tile, overlap):
    starts = axis_starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] + min(tile, length) == length
    assert all(a + tile - b >= overlap for a, b in zip(starts, starts[1:]))


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_blend_weights_sum_to_one_and_ignore_cut_edges(scale):
    starts, tile = axis_starts(150, 48, 16), 48
    weights = axis_weights(starts, tile, scale)
    total = torch.zeros(150 * scale)
    for s, w in zip(starts, weights):
        total[s * scale:(s + tile) * scale] += w
    torch.testing.assert_close(total, torch.ones_like(total))
    inner = weights[1]  # a middle tile: both sides cut, outer quarter of each overlap unused
    assert float(inner[: 4 * scale].abs().max()) == 0.0 and float(inner[-4 * scale:].abs().max()) == 0.0


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


def test_wrong_scale_is_a_clear_error():
    with pytest.raises(ValueError, match="expected scale 4"):
        Tiler(_fwd(NearestNet(2)), 4)(_photo(16, 16))
