"""The example third-party plugin (examples/esrgan-example-plugin), through real plugin paths."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.plugins import load_plugins
from tests.conftest import EXAMPLE_PLUGIN_DIR
from tests.distutil import make_dist, run_cli

REPO = Path(__file__).resolve().parents[1]
STAGES = """
  - {type: resize, to: lr, prob: [0, 0, 1]}
  - {type: color_cast, prob: 1.0, strength: [0.1, 0.2]}
"""


EXAMPLE_ENV = {"ESRGAN_PLUGINS": "example"}  # the suite loads only built-in plugins unless asked (ESRGAN_TEST)


def _installed(tmp_path: Path) -> list[Path]:
    """A dist-info declaring the example's entry point, as `pip install` would write it."""
    make_dist(tmp_path, "esrgan-example-plugin", {"example": "esrgan_example_plugin"})
    return [tmp_path, EXAMPLE_PLUGIN_DIR]


def test_example_plugin_is_found_through_its_entry_point(tmp_path):
    out = run_cli(["plugins", "--json"], pythonpath=_installed(tmp_path), cwd=REPO, env=EXAMPLE_ENV)
    assert out.returncode == 0, out.stderr
    row = {r["name"]: r for r in json.loads(out.stdout)}["example"]
    assert (row["distribution"], row["status"], row["builtin"]) == ("esrgan-example-plugin", "loaded", False)
    assert row["provides"] == {"degradations": ["color_cast"], "losses": ["total_variation"]}


def test_config_using_example_names_validates_and_bad_values_are_rejected(tmp_path):
    cfg = tmp_path / "preview.yml"
    cfg.write_text(f"task: preview\nn: 2\nstages:{STAGES}")
    paths = _installed(tmp_path)
    out = run_cli(["validate", str(cfg)], pythonpath=paths, cwd=REPO, env=EXAMPLE_ENV)
    assert out.returncode == 0, out.stderr
    out = run_cli(["validate", str(cfg), "--set", "stages[1].strength=[0.3, 0.1]"], pythonpath=paths, cwd=REPO,
                  env=EXAMPLE_ENV)
    assert out.returncode == 2
    assert "stages[1].strength: lower bound exceeds upper bound" in out.stderr


def test_example_stage_runs_inside_a_pipeline(example_plugin):
    host = load_plugins(extra_plugins=[("example", example_plugin)])
    stages = [{"type": "resize", "to": "lr", "prob": [0, 0, 1]},
              {"type": "color_cast", "prob": 1.0, "strength": [0.1, 0.2]}]
    pipe = Pipeline.from_dicts(stages, host.registries)
    gt = torch.full((2, 3, 32, 32), 0.5)
    out = pipe(gt, torch.Generator().manual_seed(0), 4)
    assert out.lq.shape == (2, 3, 8, 8)
    offsets = [rec["color_cast"]["offset"] for rec in out.record]
    expected = torch.tensor(offsets)[:, :, None, None] + 0.5
    assert torch.allclose(out.lq, (expected * 255).round() / 255, atol=1e-6)
    assert all(0.1 <= abs(v) <= 0.2 for o in offsets for v in o)
