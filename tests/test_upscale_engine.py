"""Upscaler: precision choice and fp32 fallback, gray and alpha handling, outscale, interpolation."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.errors import ConfigError, ModelFileError
from esrgan_core.images import Image
from esrgan_core.upscaling.engine import Upscaler, resolve_precision, to_luma
from esrgan_plugins.upscale.models import general_pair, interpolate_state_dicts
from tests.upscale_nets import NearestNet, ReducedPrecisionFailure, ShuffleNet, seeded


def _rgb(h: int = 24, w: int = 32) -> np.ndarray:
    """HWC RGB float32 [0,1] astronaut crop."""
    return skimage.data.astronaut()[120:120 + h, 200:200 + w].astype(np.float32) / 255


def test_auto_precision_is_bf16_only_on_native_bf16_cpus_and_unsafe_precisions_are_refused():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_precision("auto", cpu, True, True, cpu_bf16=False) == torch.float32
    assert resolve_precision("auto", cpu, True, True, cpu_bf16=True) == torch.bfloat16
    assert resolve_precision("auto", cpu, True, False, cpu_bf16=True) == torch.float32  # model not marked bf16-safe
    assert resolve_precision("auto", cuda, True, True) == torch.float16
    assert resolve_precision("bf16", cpu, True, True) == torch.bfloat16
    with pytest.raises(ConfigError, match="fp16"):
        resolve_precision("fp16", cpu, False, True)


def test_bf16_on_cpu_runs_a_bf16_copy_and_stays_close_to_fp32():
    net = seeded(ShuffleNet(2))
    up = Upscaler(net, 2, precision="bf16", device="cpu")
    assert up.dtype == torch.bfloat16 and next(up._net.parameters()).dtype == torch.bfloat16
    assert next(net.parameters()).dtype == torch.float32  # the fp32 master is untouched
    x = _rgb()
    ref = Upscaler(net, 2, precision="fp32", device="cpu").upscale_rgb(x)
    out = up.upscale_rgb(x)
    assert out.dtype == np.float32 and 0 < np.abs(out - ref).max() < 0.05


@pytest.mark.parametrize("mode", ["nan", "black"])
def test_bad_reduced_precision_output_is_redone_in_fp32(mode, caplog):
    net = ReducedPrecisionFailure(mode)
    x = _rgb()
    ref = Upscaler(net, 2, precision="fp32", device="cpu").upscale_rgb(x)
    with caplog.at_level(logging.WARNING):
        out = Upscaler(net, 2, precision="bf16", device="cpu").upscale_rgb(x, name="photo.png")
    np.testing.assert_array_equal(out, ref)
    assert "photo.png" in caplog.text and "redoing it in fp32" in caplog.text
    assert ("NaN" in caplog.text) == (mode == "nan")


def test_gray_stays_gray_via_bt601_luma():
    net = seeded(ShuffleNet(2))
    gray = to_luma(_rgb())
    out = Upscaler(net, 2, device="cpu").upscale_image(Image(gray, "L", 8))
    assert out.shape == (48, 64, 1)
    rgb = Upscaler(net, 2, device="cpu").upscale_rgb(np.repeat(gray, 3, axis=2))
    expected = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    np.testing.assert_allclose(out[..., 0], expected, atol=1e-6)


@pytest.mark.parametrize("alpha_mode", ["model", "resize"])
def test_rgba_keeps_its_alpha(alpha_mode):
    rgb = _rgb()
    yy, xx = np.mgrid[0:24, 0:32].astype(np.float32)
    if alpha_mode == "model":  # through the nearest-upsampling model: exactly the nearest-upsampled alpha
        alpha = (((yy // 6) + (xx // 8)) % 2)[..., None]
    else:  # a smooth gradient: the Lanczos resize stays within a small error of it
        alpha = (0.5 + 0.5 * np.sin(xx / 6) * np.cos(yy / 7))[..., None]
    out = Upscaler(NearestNet(2), 2, device="cpu", precision="fp32", alpha=alpha_mode).upscale_image(
        Image(np.concatenate([rgb, alpha], axis=2), "RGBA", 8))
    assert out.shape == (48, 64, 4)
    big_alpha = np.repeat(np.repeat(alpha, 2, axis=0), 2, axis=1)
    np.testing.assert_allclose(out[..., :3], np.repeat(np.repeat(rgb, 2, axis=0), 2, axis=1), atol=1e-6)
    np.testing.assert_allclose(out[..., 3:], big_alpha, atol=1e-6 if alpha_mode == "model" else 0.1)


def test_constant_alpha_is_filled_without_the_model():
    rgba = np.concatenate([_rgb(), np.full((24, 32, 1), 0.6, np.float32)], axis=2)
    out = Upscaler(seeded(ShuffleNet(2)), 2, device="cpu").upscale_image(Image(rgba, "RGBA", 8))
    np.testing.assert_array_equal(out[..., 3], np.float32(0.6))


@pytest.mark.parametrize("outscale,size", [(3.5, (84, 112)), (1.3, (31, 41)), (0.5, (12, 16))])
def test_outscale_gives_exact_int_size(outscale, size):
    out = Upscaler(NearestNet(2), 2, device="cpu", outscale=outscale).upscale_image(Image(_rgb(), "RGB", 8))
    assert out.shape == (*size, 3) and out.min() >= 0 and out.max() <= 1


def test_interpolation_is_the_weighted_sum_of_weights():
    a, b = seeded(ShuffleNet(2), seed=1).state_dict(), seeded(ShuffleNet(2), seed=2).state_dict()
    mixed = interpolate_state_dicts(a, b, 0.25)
    for k in a:
        torch.testing.assert_close(mixed[k], 0.75 * a[k] + 0.25 * b[k])


def test_incompatible_models_cannot_be_interpolated():
    a = seeded(ShuffleNet(2, feat=8)).state_dict()
    with pytest.raises(ModelFileError, match="shape"):
        interpolate_state_dicts(a, seeded(ShuffleNet(2, feat=4)).state_dict(), 0.5)
    with pytest.raises(ModelFileError, match="only in"):
        interpolate_state_dicts(a, {k: v for k, v in a.items() if "body.0" not in k}, 0.5)


def test_denoise_strength_pairs_general_with_wdn_like_dni():
    model, model2, w = general_pair("w/realesr-general-x4v3.pth", None, 0.3)
    assert model2 == "w/realesr-general-wdn-x4v3.pth" and w == pytest.approx(0.7)
    with pytest.raises(ConfigError, match="denoise_strength"):
        general_pair("realesrgan-x4plus", None, 0.5)
