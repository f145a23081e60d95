"""Tiled vs whole-image upscaling with the real built-in models on a real photo, and no visible seam.

The image is a 64x128 crop of skimage's astronaut; tiles 80 px with a 32 px overlap give two tiles
side by side whose cross-fade is centred on input column 64 (output column 256). A naive tiler that
cuts the image at column 64 without context or blending is computed alongside to show what a seam
looks like in the same measure. A second test runs the 2-D placement on a 96x96 crop with tiles
shrunk below the requested size (tile 72, overlap 32 -> 2x2 tiles of 64) and pins the PSNR of tiled
vs whole. Tolerances pinned here are the ones in docs/upscale.md.
"""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from esrgan_core.modelfiles.loader import load_model
from esrgan_core.upscaling.engine import Upscaler
from esrgan_core.upscaling.tiling import tile_grid

pytestmark = pytest.mark.slow

# name: (max |tiled - whole| anywhere, max in the 4 px band on the seam line)
TOLERANCE = {"realesr-animevideov3": (1e-3, 1e-3), "realesrgan-x4plus-anime": (0.15, 0.08)}


@pytest.mark.parametrize("name", sorted(TOLERANCE))
def test_tiled_matches_whole_image_without_a_seam(name):
    x = skimage.data.astronaut()[100:164, 150:278].astype(np.float32) / 255
    loaded = load_model(name)
    scale = loaded.description.scale
    whole = Upscaler.from_loaded(loaded, device="cpu", precision="fp32").upscale_rgb(x)
    tiled = Upscaler.from_loaded(loaded, device="cpu", precision="fp32", tile=80, tile_overlap=32).upscale_rgb(x)
    halves = [Upscaler.from_loaded(loaded, device="cpu", precision="fp32").upscale_rgb(np.ascontiguousarray(x[:, s])) for s in
              (slice(0, 64), slice(64, 128))]
    naive = np.concatenate(halves, axis=1)
    assert tiled.shape == whole.shape == (64 * scale, 128 * scale, 3)

    def band(out: np.ndarray) -> np.ndarray:
        return np.abs(out - whole)[:, 64 * scale - 2:64 * scale + 2]

    diff = np.abs(tiled - whole)
    far = np.concatenate([diff[:, :32 * scale], diff[:, 96 * scale:]], axis=1)  # >= 16 px outside the overlap
    max_any, max_band = TOLERANCE[name]
    assert diff.max() <= max_any and band(tiled).max() <= max_band
    assert band(tiled).mean() < 0.3 * band(naive).mean()  # the cut-and-paste seam is several times larger
    assert far.mean() < 1e-4 and diff.mean() < 1e-3


# name: least PSNR (dB, [0,1] values) of tiled vs whole on the 96x96 crop, tile 72, overlap 32
PSNR_2D = {"realesr-animevideov3": 85.0, "realesrgan-x4plus-anime": 48.0}


@pytest.mark.parametrize("name", sorted(PSNR_2D))
def test_shrunk_2d_tiles_stay_within_the_documented_psnr(name):
    x = skimage.data.astronaut()[100:196, 150:246].astype(np.float32) / 255
    assert tile_grid(96, 96, 72, 32) == (64, 64, [0, 32], [0, 32])  # 4 tiles of 64, not of 72
    loaded = load_model(name)
    whole = Upscaler.from_loaded(loaded, device="cpu", precision="fp32").upscale_rgb(x)
    tiled = Upscaler.from_loaded(loaded, device="cpu", precision="fp32", tile=72, tile_overlap=32).upscale_rgb(x)
    psnr = 10 * np.log10(1.0 / np.mean((tiled - whole) ** 2))
    assert psnr >= PSNR_2D[name]
