"""benchmarks/gpu_check.py --dry-run: the prepared GPU check runs end to end on the CPU (so it cannot rot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gpu_check_dry_run_covers_every_part(tmp_path: Path) -> None:
    out = tmp_path / "gpu_check.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--dry-run", "--output", str(out)],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["dry_run"] and "| part | run |" in proc.stdout
    trained = [r for r in report["train"] if "skipped" not in r]
    assert {r["name"] for r in trained} == {"esrnet fp32", "esrnet bf16 channels_last", "esrgan fp32", "esrgan bf16 channels_last"}
    assert all(r["seconds"] > 0 and "error" not in r for r in trained)
    assert len(report["train"]) == 18  # 2 trainers x 3 precisions x channels_last on/off + 6 compiled runs
    fp32, _, bf16, auto = report["upscale"]
    assert fp32["seconds"] > 0 and 40 < bf16["psnr_vs_fp32"] < float("inf")
    assert auto["tile"] == 0  # a 64 px image fits any memory budget
    (oom,) = report["oom"]
    assert oom["tile_limit"] == 32 and "error" not in oom
    assert report["ddp"][0]["skipped"] == "needs two GPUs"
