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
