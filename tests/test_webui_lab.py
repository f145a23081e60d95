"""The degradation playground's API: validate's one-line errors with the line, samples per seed, a stage
image per stage, and a saved recipe that ``esrgan-run validate`` accepts."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import needs_extra

needs_extra("ui", "starlette")
needs_extra("ui", "uvicorn")

from esrgan_core.cli import main  # noqa: E402
from tests.webui_support import call, running_server, write_photo  # noqa: E402

STAGES = """\
- {type: blur, kernel_size: [3, 7], kernel_list: [iso], kernel_prob: [1.0], sigma: [0.2, 1.0], sinc_prob: 0}
- {type: resize, to: lr, prob: [0, 0, 1]}
- {type: noise, gaussian_prob: 1.0, sigma: [1, 3], gray_prob: 0.0}
"""


def test_playground_validates_runs_and_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with running_server(root) as base:
        req = {"stages": STAGES, "scale": 4, "n": 3, "seed": 5, "crop": 64, "source": "skimage:astronaut"}
        assert call(f"{base}/api/lab/validate", req) == (200, {"ok": True, "errors": []})
        bad = STAGES.replace("sigma: [1, 3]", "sigma: [3, 1]")
        status, body = call(f"{base}/api/lab/validate", {**req, "stages": bad})
        assert status == 200 and not body["ok"]
        (line,) = body["errors"]
        assert line.startswith("stages:3: stages[2]"), line  # the line in the edited text, the key path

        status, first = call(f"{base}/api/lab/run", req)
        assert status == 200, first
        assert first["hr_size"] == [64, 64] and first["lr_size"] == [16, 16] and len(first["samples"]) == 3
        for sample in first["samples"]:
            assert [s["label"] for s in sample["stages"]] == ["1. blur", "2. resize", "3. noise"]
            assert sample["stages"][1]["size"] == [16, 16] and sample["stages"][0]["size"] == [64, 64]
            assert set(sample["record"]) >= {"blur", "noise"}
        assert len({s["lr"] for s in first["samples"]}) == 3  # per-sample draws differ
        assert call(f"{base}/api/lab/run", req)[1]["samples"] == first["samples"]  # same seed, same samples
        assert call(f"{base}/api/lab/run", {**req, "seed": 6})[1]["samples"] != first["samples"]

        photo = write_photo(tmp_path / "small.png", (40, 30))
        _, up = call(f"{base}/api/upload?name=small.png", photo.read_bytes())
        status, own = call(f"{base}/api/lab/run", {**req, "source": f"upload:{up['id']}"})
        assert status == 200 and own["hr_size"] == [28, 28] and own["lr_size"] == [7, 7]  # the centre, cut to x4
        hr = cv2.imdecode(np.frombuffer(base64.b64decode(own["hr"].split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
        assert np.array_equal(hr, cv2.imread(str(photo))[1:29, 6:34])
        status, body = call(f"{base}/api/lab/run", {**req, "source": "/etc/passwd"})
        assert status == 400 and "unknown source" in body["error"]
        status, saved = call(f"{base}/api/lab/save", {**req, "name": "light"})
        assert status == 200 and saved == {"path": "recipes/light.yml", "verdict": "recipes/light.yml: valid (preview config)"}
        status, again = call(f"{base}/api/lab/save", {**req, "name": "light"})
        assert status == 400 and "exists already" in again["error"]
        status, body = call(f"{base}/api/lab/save", {**req, "name": "../x"})
        assert status == 400
    assert main(["validate", str(root / "recipes" / "light.yml")]) == 0
    assert "valid (preview config)" in capsys.readouterr().out


def write_real_lr(folder: Path, count: int = 2) -> Path:
    """Real LR stand-ins: crops of built-in photos degraded by the test's stage list (32x32 each)."""
    import torch
    import yaml

    from esrgan_core.degradation.pipeline import Pipeline
    from esrgan_core.images import write_image
    from esrgan_core.photos import load_photo
    from esrgan_core.plugins import load_plugins

    folder.mkdir(parents=True)
    pipeline = Pipeline.from_dicts(yaml.safe_load(STAGES), load_plugins().registries)
    g = torch.Generator().manual_seed(11)
    for name in ("stereo_motorcycle", "immunohistochemistry", "coffee")[:count]:
        img = load_photo(name)[:128, :128]
        t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div(255)[None]
        write_image(folder / f"{name}.png", pipeline(t, g, 4).lq[0].permute(1, 2, 0).numpy())
    return folder


def core_report(real: Path, setup: object, toggles: bool) -> dict:
    """The core evaluator's rows and real-set means for the same inputs, as JSON carries them."""
    import json

    import yaml

    from esrgan_core.degradation.realism import build_evaluator, toggle_report
    from esrgan_core.plugins import load_plugins

    ev = build_evaluator(real, None, 4, load_plugins().registries, setup)
    stages = yaml.safe_load(STAGES)
    rows = toggle_report(ev, stages) if toggles else [{"variant": "full recipe", **ev.evaluate(stages)}]
    means = {k: float(v.mean()) for k, v in ev.real_stats.items()}
    return json.loads(json.dumps({"rows": rows, "real_means": means, "real_patches": ev.real_count}))


def test_playground_measures_realism_as_the_core_evaluator_and_confines_the_folder(tmp_path: Path) -> None:
    from esrgan_core.degradation.realism import RealismSetup

    root = tmp_path / "root"
    write_real_lr(root / "real")
    write_real_lr(root / "one", count=1)
    (tmp_path / "outside").mkdir()
    (root / "out_link").symlink_to(tmp_path / "outside", target_is_directory=True)
    req = {"stages": STAGES, "scale": 4, "n": 1, "seed": 3, "crop": 64, "real": "real", "patch": 16, "synthetic": 6,
           "per_image": 2, "kid": False, "toggles": True}
    with running_server(root) as base:
        status, page = call(f"{base}/api/lab/measure", req)
        assert status == 200, page
        want = core_report(root / "real", RealismSetup(patch=16, synthetic=6, per_image=2, kid=False, seed=3), True)
        assert page["rows"] == want["rows"] and page["real_means"] == want["real_means"]
        assert page["real_patches"] == want["real_patches"] == 4 and page["synthetic_patches"] == 6
        assert [r["variant"] for r in page["rows"]] == ["full recipe", "without 0:blur", "without 1:resize", "without 2:noise"]
        assert call(f"{base}/api/lab/measure", {**req, "seed": 4})[1]["rows"] != page["rows"]
        for name, words in (("../outside", "'..' is not allowed"), (str(tmp_path / "outside"), "absolute paths"),
                            ("out_link", "outside the root"), ("missing", "no such file or folder"),
                            ("real/stereo_motorcycle.png", "not a folder"), ("", "name a folder")):
            status, body = call(f"{base}/api/lab/measure", {**req, "real": name})
            assert status == 400 and words in body["error"], (name, body)
        status, body = call(f"{base}/api/lab/measure", {**req, "real": "one"})
        assert status == 400 and body["error"].startswith("one: the realism distance needs at least 2 real LR images, found 1")
        assert str(root) not in body["error"]
        status, body = call(f"{base}/api/lab/measure", {**req, "synthetic": 100000})
        assert status == 400 and "synthetic" in body["error"]


@pytest.mark.slow
def test_playground_kid_equals_the_core_evaluators(tmp_path: Path) -> None:
    from esrgan_core.degradation.realism import RealismSetup

    root = tmp_path / "root"
    write_real_lr(root / "real", count=3)
    req = {"stages": STAGES, "scale": 4, "seed": 0, "real": "real", "patch": 16, "synthetic": 6, "per_image": 2,
           "kid": True, "toggles": False}
    with running_server(root) as base:
        status, page = call(f"{base}/api/lab/measure", req)
    assert status == 200, page
    want = core_report(root / "real", RealismSetup(patch=16, synthetic=6, per_image=2, kid=True, seed=0), False)
    assert page["rows"] == want["rows"] and np.isfinite(page["rows"][0]["kid"])
