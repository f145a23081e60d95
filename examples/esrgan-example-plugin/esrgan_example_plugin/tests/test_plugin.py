"""The example plugin as a user gets it: installed, found through its entry point, used by configs,
trained and upscaled with, through the installed framework's public paths only."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from esrgan_core import testing
from esrgan_core.cli import main
from esrgan_core.config import build_config
from esrgan_core.errors import ConfigError
from esrgan_core.images import read_image, write_image

COLOR_CAST = {"type": "color_cast", "prob": 1.0, "strength": [0.02, 0.05]}
TV = {"type": "total_variation", "weight": 0.01}


@pytest.fixture(scope="module")
def host():
    return testing.plugin_host("example")


def test_entry_point_finds_the_installed_distribution():
    row = testing.discovered("example")
    assert (row["distribution"], row["status"], row["builtin"]) == ("esrgan-example-plugin", "loaded", False)
    assert row["provides"] == {"degradations": ["color_cast"], "losses": ["total_variation"]}


def test_each_component_meets_its_contract(host):
    assert testing.check_components(host, "example") == ["degradations/color_cast", "losses/total_variation"]


def test_config_validates_the_plugin_params_like_the_builtins(host, esrgan_tiny_config):
    data = dict(esrgan_tiny_config, degradation=[*esrgan_tiny_config["degradation"], COLOR_CAST])
    cfg, _ = build_config(data, host_factory=lambda mods: host)
    (cast,) = [s for s in cfg.params.degradation.stages if s.type == "color_cast"]
    assert (cast.params.prob, cast.params.strength) == (1.0, (0.02, 0.05))
    with pytest.raises(ConfigError) as bad:
        build_config(data, overrides=["degradation[3].strength=[0.3, 0.1]"], host_factory=lambda mods: host)
    assert str(bad.value) == ("--set: degradation[3].strength: lower bound exceeds upper bound "
                              "(degradations type 'color_cast')")


def test_tiny_run_trains_with_the_stage_and_the_loss_then_upscales(host, tmp_path, esrgan_run):
    data = testing.tiny_config(tmp_path, stages=[COLOR_CAST], losses=[TV], iters=3)
    stage = esrgan_run(data, host) / "esrnet"
    train = [json.loads(line) for line in (stage / "logs" / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in train if r["kind"] == "train"]
    assert [r["iter"] for r in train] == [1, 2, 3] and all(r["l_g_tv"] > 0 for r in train)
    model = stage / "models" / "net_g_latest.pth"
    assert set(torch.load(model, weights_only=True)) == {"params", "params_ema"}
    image = tmp_path / "in.png"
    write_image(image, np.random.default_rng(0).random((12, 10, 3), dtype=np.float32))
    assert main(["upscale", "-i", str(image), "-o", str(tmp_path / "out"), "-m", str(model), "--no-progress"]) == 0
    assert read_image(tmp_path / "out" / "in_out.png").pixels.shape == (48, 40, 3)

