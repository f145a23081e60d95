"""The README's main job: bare ``esrgan-run`` (configs/quickstart.yml), end to end on CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esrgan_core.images import read_image
from tests.conftest import requires_extra
from tests.distutil import run_cli


@requires_extra("metrics", "stlpips_pytorch")
@pytest.mark.slow
def test_quickstart_as_the_readme_runs_it_beats_bicubic(tmp_path: Path) -> None:
    out = run_cli([], cwd=tmp_path, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    run = tmp_path / "experiments" / "quickstart"
    scores = json.loads((run / "compare" / "results.json").read_text())
    assert scores, "the held-out comparison was written"
    for image, rows in scores.items():
        assert rows["esrnet"]["psnr"] > rows["bicubic"]["psnr"], (image, rows)
        # README: finetuned from realesr-animevideov3, ESRNet about +1.1 dB (margin for thread-count rounding)
        assert rows["esrnet"]["psnr"] - rows["bicubic"]["psnr"] > 0.9, (image, rows)
        assert rows["esrgan"]["psnr"] - rows["bicubic"]["psnr"] > 0.8, (image, rows)
        assert rows["esrnet"]["ssim"] > rows["bicubic"]["ssim"], (image, rows)
        assert {"esrgan", "bicubic", "esrnet"} <= set(rows)
        assert all(0 <= rows[m]["stlpips"] < 1 for m in rows), (image, rows)  # perceptual number next to PSNR/SSIM
    grid = read_image(run / "compare" / "astronaut.png")
    assert grid.pixels.shape[1] >= 5 * grid.pixels.shape[0], "five panels side by side: LR | bicubic | esrnet | esrgan | HR"
    for stage in ("esrnet", "esrgan"):
        assert (run / stage / "DONE").exists()
        assert (run / stage / "models" / "net_g_ema_latest.safetensors").exists()
        assert (run / stage / "models" / "net_g_latest.pth").exists()
    assert "compare astronaut" in out.stderr + out.stdout
