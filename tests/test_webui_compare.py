"""The two-model comparison through the API: each side is the CLI's result for its model, and the PSNR
against the HR image equals its definition on the downloaded result."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import needs_extra

needs_extra("ui", "starlette")
needs_extra("ui", "uvicorn")

from esrgan_core.cli import main  # noqa: E402
from tests.webui_support import call, running_server, wait_job, write_photo  # noqa: E402


def psnr_by_definition(a_u8: np.ndarray, b_u8: np.ndarray) -> float:
    mse = np.mean((a_u8.astype(np.float64) - b_u8.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


@pytest.mark.slow
def test_compare_two_models_with_metrics_against_hr(tmp_path: Path) -> None:
    hr = write_photo(tmp_path / "hr.png", (64, 48), seed=2)
    lr = tmp_path / "lr.png"
    cv2.imwrite(str(lr), cv2.resize(cv2.imread(str(hr)), (16, 12), interpolation=cv2.INTER_AREA))
    models = {"A": "realesr-animevideov3", "B": "realesrgan-x4plus-anime"}
    root = tmp_path / "root"
    root.mkdir()
    with running_server(root) as base:
        _, up_lr = call(f"{base}/api/upload?name=lr.png", lr.read_bytes())
        _, up_hr = call(f"{base}/api/upload?name=hr.png", hr.read_bytes())
        status, job = call(f"{base}/api/compare", {"model_a": f"builtin:{models['A']}", "model_b": f"builtin:{models['B']}",
                                                   "lr": up_lr["id"], "hr": up_hr["id"]})
        assert status == 200, job
        job = wait_job(base, job["id"])
        assert job["state"] == "done", job
        sides = job["result"]["sides"]
        hr_u8 = cv2.imread(str(hr))
        for side, model in models.items():
            status, got = call(f"{base}{sides[side]['url']}")
            assert main(["upscale", "-i", str(lr), "-o", str(tmp_path / side), "-m", model, "--no-progress"]) == 0
            assert got == (tmp_path / side / "lr_out.png").read_bytes()
            sr_u8 = cv2.imdecode(np.frombuffer(got, np.uint8), cv2.IMREAD_COLOR)
            metrics = sides[side]["metrics"]
            assert (sides[side]["width"], sides[side]["height"]) == (64, 48)
            assert metrics["psnr"] == pytest.approx(psnr_by_definition(sr_u8, hr_u8), abs=1e-6)
            assert 0 < metrics["ssim"] <= 1
            assert isinstance(metrics.get("stlpips"), (float, str))  # a value, or why it cannot run here
        status, body = call(f"{base}/api/compare", {"model_a": "builtin:x", "model_b": f"builtin:{models['B']}", "lr": up_lr["id"]})
        assert status == 400 and "unknown built-in model" in body["error"]
