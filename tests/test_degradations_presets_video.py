"""The video_x4, anime_video_x4 and camera_x4 presets: they validate, run end to end to the LR size, use the
new stages, and the preview task renders them."""

from __future__ import annotations

import json

import pytest
import torch

from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.degradation.presets import load_preset, preset_names
from esrgan_core.degradation.recipe import resolve_recipe
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_plugins.degradations.preview import PreviewParams, run_preview
from tests.conftest import requires_extra

NEW = {"video_x4": {"motion_blur", "chroma_subsample", "video_codec"},
       "anime_video_x4": {"sharpen_halo", "posterize", "chroma_subsample", "video_codec"},
       "camera_x4": {"defocus_blur", "motion_blur", "camera", "sharpen_halo", "color_jitter"}}


@pytest.fixture(scope="module")
def registries():
    return load_plugins().registries


@requires_extra("video", "av")
@pytest.mark.parametrize("name", sorted(NEW))
def test_preset_validates_and_degrades_to_the_lr_size(name, registries):
    assert name in preset_names()
    recipe = resolve_recipe(name, "degradation", registries)
    assert recipe.scale == 4 and NEW[name] <= {s.type for s in recipe.stages}
    if name == "video_x4":  # on top of x4plus: every x4plus stage is kept, in order
        x4 = [s["type"] for s in load_preset("realesrgan_x4plus").stages]
        types = [s["type"] for s in load_preset(name).stages]
        assert [t for t in types if t in x4] == x4
    gt = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    pipeline = Pipeline.from_recipe(recipe, registries)
    a = pipeline(gt, torch.Generator().manual_seed(2), 4)
    b = pipeline(gt, torch.Generator().manual_seed(2), 4)
    assert a.lq.shape == (3, 3, 16, 16) and torch.equal(a.lq, b.lq) and a.record == b.record


@requires_extra("video", "av")
def test_preview_renders_a_new_preset(tmp_path, registries):
    params = from_dict(PreviewParams, {"recipe": "camera_x4", "n": 2, "crop": 64, "output": str(tmp_path)},
                       registries=registries)
    png, js = run_preview(params, registries)
    doc = json.loads(js.read_text())
    assert png.is_file() and doc["recipe"] == "camera_x4" and doc["lr_size"] == [16, 16]
    assert "camera" in doc["samples"][0]["record"]
