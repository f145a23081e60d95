"""Kill-and-resume stays bitwise with codec stages in the recipe (video_codec through PyAV, image_codec).

The same tiny training run as tests/test_resume.py, with an H.264 moving-clip stage and a WebP/AVIF
stage added to the degradation: the codecs run one thread each and take every draw from the step's
generator, so a run SIGKILLed after its first state and resumed ends with the weights and logged
losses of an uninterrupted run, bit for bit.
"""

from __future__ import annotations

import os
import random
import subprocess

import pytest
import torch

from tests.conftest import requires_extra
from tests.test_resume import CONFIG, TIMEOUT, TOTAL_ITER, command, kill_after, losses

CODECS = """  - {type: noise}
  - {type: video_codec, codecs: [h264, mpeg4], frames: 3, crf: [24, 36], qscale: [2, 10]}
  - {type: image_codec, prob: 0.5}
"""


@requires_extra("video", "av")
@pytest.mark.slow
def test_resume_with_codec_stages_is_bitwise_identical(tmp_path):
    assert "  - {type: noise}\n" in CONFIG
    cfg = tmp_path / "tiny.yml"
    cfg.write_text(CONFIG.replace("  - {type: noise}\n", CODECS))
    full = subprocess.run(command(cfg, "full"), cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert full.returncode == 0, full.stderr[-3000:]

    kill_iter = random.Random(os.environ.get("ESRGAN_TEST_SEED", "resume-codec")).randint(3, TOTAL_ITER - 2)
    stage = tmp_path / "killed" / "tiny" / "esrgan"
    killed_at = kill_after(command(cfg, "killed"), tmp_path, stage, kill_iter)
    assert killed_at < TOTAL_ITER and not (stage / "DONE").exists()
    resumed = subprocess.run(command(cfg, "killed"), cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed stage 'esrgan' from" in resumed.stderr, f"killed at {killed_at}: {resumed.stderr[-2000:]}"

    ref = tmp_path / "full" / "tiny" / "esrgan"
    for name in ("net_g_latest.pth", "net_d_latest.pth"):
        a = torch.load(ref / "models" / name, weights_only=True)
        b = torch.load(stage / "models" / name, weights_only=True)
        for key in a:
            diff = max((a[key][n].float() - b[key][n].float()).abs().max().item() for n in a[key])
            assert diff == 0, f"{name}[{key}] differs by {diff} after a kill at iteration {killed_at}"
    assert losses(stage / "logs" / "metrics.jsonl") == losses(ref / "logs" / "metrics.jsonl")
