"""Kill-and-resume: SIGKILL a real training process, re-run the same command, get the same weights.

The run is a tiny ESRGAN stage (G + D + EMA + pair pool + the four MoA pair augmentations + the
LDL loss, which reads the EMA generator's output) on CPU with ``deterministic: true``. The
interrupted run is killed with SIGKILL (no clean-up code runs, possibly in the middle of writing a
state) at an iteration drawn at random after the first state was saved; the same command then
resumes from the newest complete state and finishes. Its final weights, and every logged loss, must
equal those of an uninterrupted run bit for bit (max abs diff 0): resuming restores the model,
optimizer, scheduler, EMA, discriminator, pair pool, data order and every RNG, and the step is
deterministic on CPU.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from esrgan_core.training.metrics_log import read_metrics
from esrgan_core.training.state_store import StateStore

TOTAL_ITER = 8
CONFIG = f"""
name: tiny
scale: 4
seed: 7
deterministic: true
experiments_root: runs
datasets:
  train:
    dataset: {{type: skimage_photos, patch_size: 64, only: [astronaut, coffee]}}
    batch_size_per_gpu: 2
    num_worker_per_gpu: 0
degradation:
  - {{type: usm, targets: [gt_usm, lq]}}
  - {{type: blur, kernel_size: [7, 9]}}
  - {{type: resize, to: lr, prob: [0, 0, 1]}}
  - {{type: noise}}
gt_size: 32
queue_size: 4
augment:                  # MoA on: every draw comes from the step's generator, so resume stays exact
  - {{type: cutblur, prob: 0.5}}
  - {{type: cutmix, prob: 0.5}}
  - {{type: resizemix, prob: 0.5}}
  - {{type: mixup, prob: 0.5}}
logger: {{print_freq: 1, save_checkpoint_freq: 2, keep_states: 2}}
stages:
  - type: esrgan
    network_g: {{type: rrdbnet, num_feat: 8, num_block: 1, num_grow_ch: 4}}
    network_d: {{type: unet_discriminator_sn, num_feat: 8}}
    train:
      total_iter: {TOTAL_ITER}
      losses:
        - {{type: l1, weight: 1.0, target: gt_usm}}
        - {{type: ldl, weight: 1.0}}
        - {{type: gan, weight: 0.1}}
"""
TIMEOUT = 300


def command(cfg: Path, root: str) -> list[str]:
    script = Path(sys.executable).with_name("esrgan-run")
    base = [str(script)] if script.is_file() else [sys.executable, "-c", "from esrgan_core.cli import entry; entry()"]
    return [*base, str(cfg), "--set", f"experiments_root={root}"]


def last_iter(metrics: Path) -> int:
    records = read_metrics(metrics) if metrics.is_file() else []
    return max((r["iter"] for r in records if r["kind"] == "train"), default=0)


def kill_after(cmd: list[str], cwd: Path, stage: Path, kill_iter: int) -> int:
    """Start ``cmd``; SIGKILL it once a state exists and iteration ``kill_iter`` was logged."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            has_state = StateStore(stage, keep=None, clean=False).latest() is not None  # read-only look
            if has_state and last_iter(stage / "logs" / "metrics.jsonl") >= kill_iter:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            proc.kill()
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run was not killed (rc {proc.returncode}): {err[-2000:]}"
    return last_iter(stage / "logs" / "metrics.jsonl")


def losses(metrics: Path) -> list[dict]:
    timing = ("data_time", "compute_time")
    return [{k: v for k, v in r.items() if k not in timing} for r in read_metrics(metrics)]


def run_full_then_kill_and_resume(cfg: Path, tmp_path: Path, seed_label: str) -> tuple[Path, int]:
    """Train ``cfg`` uninterrupted into ``full/``, then into ``killed/`` with a SIGKILL at a random iteration
    (seeded by ``ESRGAN_TEST_SEED`` or ``seed_label``) and a rerun that resumes; returns the killed run's
    ESRGAN stage folder and the iteration it was killed at."""
    full = subprocess.run(command(cfg, "full"), cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert full.returncode == 0, full.stderr[-3000:]
    kill_iter = random.Random(os.environ.get("ESRGAN_TEST_SEED", seed_label)).randint(3, TOTAL_ITER - 2)
    stage = tmp_path / "killed" / "tiny" / "esrgan"
    killed_at = kill_after(command(cfg, "killed"), tmp_path, stage, kill_iter)
    assert killed_at < TOTAL_ITER and not (stage / "DONE").exists()
    resumed = subprocess.run(command(cfg, "killed"), cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed stage 'esrgan' from" in resumed.stderr, f"killed at {killed_at}: {resumed.stderr[-2000:]}"
    return stage, killed_at


@pytest.mark.slow
def test_resume_after_sigkill_is_bitwise_identical(tmp_path):
    cfg = tmp_path / "tiny.yml"
    cfg.write_text(CONFIG)
    stage, killed_at = run_full_then_kill_and_resume(cfg, tmp_path, "resume")
    assert (stage / "DONE").is_file()
    assert not [p for p in (stage / "state").iterdir() if p.name.startswith(".tmp-")]

    ref = tmp_path / "full" / "tiny" / "esrgan"
    for name in ("net_g_latest.pth", "net_d_latest.pth"):
        a = torch.load(ref / "models" / name, weights_only=True)
        b = torch.load(stage / "models" / name, weights_only=True)
        assert a.keys() == b.keys()
        for key in a:  # params, params_ema
            assert a[key].keys() == b[key].keys()
            diff = max((a[key][n].float() - b[key][n].float()).abs().max().item() for n in a[key])
            assert diff == 0, f"{name}[{key}] differs by {diff} after a kill at iteration {killed_at}"
    # the resumed metrics log drops what the killed run logged after its last state, so it matches
    assert losses(stage / "logs" / "metrics.jsonl") == losses(ref / "logs" / "metrics.jsonl")


@pytest.mark.slow
def test_ctrl_c_saves_a_state_exits_130_and_the_rerun_finishes(tmp_path):
    """SIGINT (Ctrl-C) mid-run: a complete state of the iteration reached is saved before exiting."""
    cfg = tmp_path / "tiny.yml"
    cfg.write_text(CONFIG)
    stage = tmp_path / "int" / "tiny" / "esrgan"
    longer = [*command(cfg, "int"), "--set", "stages[0].train.total_iter=60"]  # room to interrupt mid-run
    proc = subprocess.Popen(longer, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline and last_iter(stage / "logs" / "metrics.jsonl") < 3:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, err[-2000:]
    reached = last_iter(stage / "logs" / "metrics.jsonl")
    assert reached < 60, "interrupted before the end"
    latest = StateStore(stage, keep=None, clean=False).latest()
    assert latest is not None and int(latest.name) == reached, "the state of the iteration reached was saved"

    resumed = subprocess.run(longer, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed stage 'esrgan' from" in resumed.stderr and (stage / "DONE").is_file()
