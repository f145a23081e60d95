"""Start-up header and progress lines: batch arithmetic, it/s, ETA, data vs compute share."""

from __future__ import annotations

import platform

import torch

from esrgan_core.training.header import (
    ProgressFormatter,
    effective_batch,
    format_count,
    format_duration,
    startup_header,
)


def test_effective_batch_is_per_device_times_processes_times_accumulation():
    assert effective_batch(12, 4, 1) == 48  # the official Real-ESRGAN B12G4 runs
    assert effective_batch(4, 2, 3) == 24


class FakeAccelerator:
    """Only the attributes the header reads (a real multi-process Accelerator needs a launcher)."""

    num_processes = 4
    device = torch.device("cpu")
    mixed_precision = "bf16"
    distributed_type = "DistributedType.MULTI_GPU"


def test_header_reports_versions_device_precision_and_batch():
    net = torch.nn.Conv2d(3, 8, 3)
    text = startup_header(
        FakeAccelerator(), dataset_size=1000, batch_per_device=12, grad_accum=2,
        param_counts={"net_g": sum(p.numel() for p in net.parameters())},
    )
    assert f"python {platform.python_version()}" in text and f"torch {torch.__version__}" in text
    assert "12 per device x 4 process(es) x 2 accumulation = 96 effective" in text
    assert "11 optimizer steps per epoch" in text  # ceil(1000 / 96)
    assert "bf16" in text and "MULTI_GPU" in text
    assert "net_g" in text and "224 parameters" in text  # 3*8*9 + 8


def test_header_with_a_real_accelerator():
    from esrgan_core.training.accel import make_accelerator  # the trainer's own set-up

    acc = make_accelerator("no")
    acc.gradient_accumulation_steps = 3  # what a stage sets on the run's Accelerator
    text = startup_header(acc, dataset_size=10, batch_per_device=2, grad_accum=3, param_counts={})
    assert f"device     {acc.device}" in text and "processes  1" in text and "precision  no" in text
    assert "2 per device x 1 process(es) x 3 accumulation = 6 effective" in text and "2 optimizer steps per epoch" in text


def test_counts_and_durations():
    assert format_count(16_697_987) == "16.70 M"
    assert format_count(999) == "999"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(86400 + 61) == "1 days, 0:01:01"
    assert format_duration(float("inf")) == "?"


def test_progress_line_rate_eta_and_time_split():
    fmt = ProgressFormatter(total_iter=1000, start_iter=100, now=0.0)
    line = fmt.line(200, {"l_pix": 0.0123456}, lr=2e-4, data_time=0.01, compute_time=0.04, now=50.0)
    # 100 iterations in 50 s -> 2 it/s; 800 left -> 400 s
    assert "iter  200/1000" in line
    assert "2.00 it/s" in line and "eta 0:06:40" in line
    assert "lr 2.000e-04" in line and "l_pix 0.01235" in line
    assert "data 10 ms / compute 40 ms (20% waiting)" in line
    line2 = fmt.line(300, {}, now=150.0)  # rate since the previous line only
    assert "1.00 it/s" in line2 and "eta 0:11:40" in line2
    assert "eta ?" in fmt.line(300, {}, now=150.0)
