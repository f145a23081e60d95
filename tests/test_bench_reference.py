"""The benchmarks' reference (BasicSR + Real-ESRGAN, optional extra ``bench``) and their quick mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from benchmarks import _reference

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not _reference.available(), reason="needs pip install 'esrgan[bench]'")
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reference_copy_is_bit_exact_with_the_package_feed_data(seed):
    """Our copy of feed_data's steps gives the package's LQ and GT crop under the same seeds."""
    gt = torch.rand(2, 3, 256, 256, generator=torch.Generator().manual_seed(seed))
    assert _reference.matches_package(gt, seed)


@pytest.mark.slow
def test_degradation_quick_runs_without_the_reference_and_says_so(tmp_path):
    out = tmp_path / "deg.json"
    env = {**os.environ, _reference.HIDE_ENV: "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks/degradation.py"), str(out), "--quick", "--threads", "1",
                           "--devices", "cpu", "--max-load", "1.0"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["reference"].startswith(_reference.NOT_INSTALLED)
    cpu = result["devices"]["cpu"]
    assert cpu["reference"].startswith(_reference.NOT_INSTALLED) and "ratio_vs_reference" not in cpu
    assert cpu["pipeline"]["seconds_per_batch"] > 0 and result["batch"] == 2 and result["hr"] == 256
    assert not any("15_8" in key for key in result)
