"""JPEG degradation: DiffJPEG reproduction, real codec, and the ``jpeg`` params."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import skimage.data
import torch

from esrgan_core.errors import ConfigError
from esrgan_core.schema import from_dict
from esrgan_plugins.degradations.jpeg import JpegParams
from esrgan_plugins.degradations.jpeg_codec import codec_jpeg
from esrgan_plugins.degradations.jpeg_diff import Y_TABLE_STD, diff_jpeg, quality_to_factor

# --- independent reference, written from the definition (reference §1.3) -----------------------

_STD_C = np.full((8, 8), 99.0)
_STD_C[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]
_STD_Y = np.array(Y_TABLE_STD, dtype=np.float64)
_RGB2YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_YCC2RGB = np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]])


def _code_plane_numpy(plane: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per 8x8 block: orthonormal 2-D DCT-II (== 0.25 a(u) a(v) scaling), quantise, inverse."""
    out = np.empty_like(plane)
    for i in range(0, plane.shape[0], 8):
        for j in range(0, plane.shape[1], 8):
            coef = scipy.fft.dctn(plane[i : i + 8, j : j + 8] - 128.0, norm="ortho")
            coef = np.round(coef / table) * table  # coef[u, v]: u vertical, v horizontal frequency
            out[i : i + 8, j : j + 8] = scipy.fft.idctn(coef, norm="ortho") + 128.0
    return out


def reference_jpeg_numpy(rgb01: np.ndarray, quality: float, *, transposed: bool = True) -> np.ndarray:
    """HWC RGB float64 [0,1] -> DiffJPEG output, one block at a time, in float64."""
    h, w, _ = rgb01.shape
    factor = 50.0 / quality if quality < 50 else (200.0 - 2.0 * quality) / 100.0
    x = np.zeros(((h + 15) // 16 * 16, (w + 15) // 16 * 16, 3))
    x[:h, :w] = rgb01
    ycc = x * 255.0 @ _RGB2YCC.T + [0.0, 128.0, 128.0]
    sub = ycc.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2, 3).mean(axis=(1, 3))
    ty, tc = (_STD_Y.T, _STD_C.T) if transposed else (_STD_Y, _STD_C)
    luma = _code_plane_numpy(ycc[..., 0], ty * factor)
    chroma = [np.repeat(np.repeat(_code_plane_numpy(sub[..., k], tc * factor), 2, 0), 2, 1) for k in (1, 2)]
    ycc_out = np.stack([luma, *chroma], axis=-1) - [0.0, 128.0, 128.0]
    rgb = np.clip(ycc_out @ _YCC2RGB.T, 0.0, 255.0) / 255.0
    return rgb[:h, :w]


# --- helpers ---------------------------------------------------------------------------------------


def _photo(name: str, h: int = 120, w: int = 136, top: int = 100, left: int = 100) -> torch.Tensor:
    """A crop of a scikit-image photo as 1x3xHxW RGB float32 [0,1] (size not a multiple of 16)."""
    a = getattr(skimage.data, name)()[top : top + h, left : left + w].astype(np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1)[None].contiguous()


def _psnr01(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1.0 / torch.mean((a.double() - b.double()) ** 2)))


def _u8(t: torch.Tensor) -> torch.Tensor:
    return (t * 255).round() / 255


# --- tests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee"])
@pytest.mark.parametrize("quality", [30, 50, 70, 95])
def test_diff_jpeg_is_within_30db_of_libjpeg_on_photos(name: str, quality: int) -> None:
    img = _photo(name)
    simulated = _u8(diff_jpeg(img, torch.tensor([float(quality)])))
    real = codec_jpeg(img, [quality])
    assert _psnr01(simulated, real) >= 30.0


@pytest.mark.parametrize("backend", ["diff", "codec"])
def test_error_against_clean_grows_as_quality_falls(backend: str) -> None:
    img = _photo("astronaut")
    errors = []
    for q in (95, 75, 50, 30, 10):
        out = diff_jpeg(img, torch.tensor([float(q)])) if backend == "diff" else codec_jpeg(img, [q])
        errors.append(float(torch.mean((out - img) ** 2)))
    assert all(a < b for a, b in zip(errors, errors[1:])), errors


def test_batched_equals_per_sample() -> None:
    imgs = torch.cat([_photo("astronaut"), _photo("chelsea"), _photo("coffee")])
    quality = torch.tensor([33.3, 61.7, 90.0])
    batched = diff_jpeg(imgs, quality)
    single = torch.cat([diff_jpeg(imgs[i : i + 1], quality[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(batched, single, rtol=0, atol=1e-6)


def test_matches_blockwise_numpy_definition_with_transposed_tables() -> None:
    img = _photo("chelsea", h=40, w=56)
    for q in (20.0, 47.5, 80.0):
        ours = diff_jpeg(img, torch.tensor([q]))[0].permute(1, 2, 0).double().numpy()
        quirk = reference_jpeg_numpy(img[0].permute(1, 2, 0).double().numpy(), q, transposed=True)
        standard = reference_jpeg_numpy(img[0].permute(1, 2, 0).double().numpy(), q, transposed=False)
        assert np.abs(ours - quirk).max() < 1e-4
        # the quirk matters: with the tables as printed in the standard the output is different
        assert np.abs(ours - standard).max() > 1e-2


def test_quality_factor_is_continuous_and_unclamped() -> None:
    q = torch.tensor([1.0, 25.0, 33.3, 50.0, 75.0, 100.0])
    expected = torch.tensor([50.0, 2.0, 50 / 33.3, 1.0, 0.5, 0.0])
    torch.testing.assert_close(quality_to_factor(q), expected)


def test_padding_to_16_keeps_size_and_pads_with_zeros() -> None:
    img = _photo("coffee", h=23, w=37)
    out = diff_jpeg(img, torch.tensor([60.0]))
    assert out.shape == img.shape
    ref = reference_jpeg_numpy(img[0].permute(1, 2, 0).double().numpy(), 60.0)
    assert np.abs(out[0].permute(1, 2, 0).double().numpy() - ref).max() < 1e-4


def test_gradient_flows_only_when_differentiable() -> None:
    img = _photo("astronaut", h=32, w=32).requires_grad_(True)
    diff_jpeg(img, torch.tensor([50.0]), differentiable=True).square().sum().backward()
    assert img.grad is not None and torch.isfinite(img.grad).all() and img.grad.abs().sum() > 0
    img2 = _photo("astronaut", h=32, w=32).requires_grad_(True)
    diff_jpeg(img2, torch.tensor([50.0]), differentiable=False).square().sum().backward()
    assert img2.grad is not None and float(img2.grad.abs().sum()) == 0.0  # torch.round has zero gradient


@pytest.mark.parametrize("bad", [[0, 90], [30, 101], [-5, 50]])
def test_quality_outside_1_100_is_config_error_naming_the_key(bad: list[float]) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(JpegParams, {"quality": bad}, path="degradations[2]")
    assert "quality" in err.value.path


def test_quality_range_order_and_codec_differentiable_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="quality"):
        from_dict(JpegParams, {"quality": [90, 30]})
    with pytest.raises(ConfigError, match="differentiable"):
        from_dict(JpegParams, {"backend": "codec", "differentiable": True})
