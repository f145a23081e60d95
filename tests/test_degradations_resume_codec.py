"""Kill-and-resume stays bitwise with codec stages in the recipe (video_codec through PyAV, image_codec).

The same tiny training run as tests/test_resume.py, with an H.264 moving-clip stage and a WebP/AVIF
stage added to the degradation: the codecs run one thread each and take every draw from the step's
generator, so a run SIGKILLed after its first state and resumed ends with the weights and logged
losses of an uninterrupted run, bit for bit.
"""

from __future__ import annotations

import pytest
import torch

from tests.conftest import requires_extra
from tests.test_resume import CONFIG, losses, run_full_then_kill_and_resume

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
    stage, killed_at = run_full_then_kill_and_resume(cfg, tmp_path, "resume-codec")

    ref = tmp_path / "full" / "tiny" / "esrgan"
    for name in ("net_g_latest.pth", "net_d_latest.pth"):
        a = torch.load(ref / "models" / name, weights_only=True)
        b = torch.load(stage / "models" / name, weights_only=True)
        for key in a:
            diff = max((a[key][n].float() - b[key][n].float()).abs().max().item() for n in a[key])
            assert diff == 0, f"{name}[{key}] differs by {diff} after a kill at iteration {killed_at}"
    assert losses(stage / "logs" / "metrics.jsonl") == losses(ref / "logs" / "metrics.jsonl")
