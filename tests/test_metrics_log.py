"""metrics.jsonl: exact round trip, flush per line, resume truncation, curves PNG."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
import torch
from PIL import Image

from esrgan_core.training.metrics_log import METRICS_FILE, MetricsLog, plot_curves, read_metrics, series


def fill(log: MetricsLog, iters: range, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    written = []
    for it in iters:
        written.append(log.log(it, "train", {"l_pix": rng.random(), "l_percep": rng.random() * 3, "lr": 1e-4}))
        if it % 5 == 0:
            written.append(log.log(it, "val", {"psnr": 20 + rng.random(), "ssim": rng.random()}))
    return written


def test_read_values_equal_logged_values(tmp_path):
    with MetricsLog(tmp_path / "logs") as log:
        written = fill(log, range(1, 21))
        log.log(21, "train", {"l_g": torch.tensor(0.125), "l_d": np.float32(0.5), "count": 7})
    records = read_metrics(tmp_path / "logs" / METRICS_FILE)
    assert records[:-1] == written  # exact float round trip
    assert records[-1] == {"iter": 21, "kind": "train", "l_g": 0.125, "l_d": 0.5, "count": 7}
    iters, psnr = series(records, "val", "psnr")
    assert iters == [5, 10, 15, 20]
    assert psnr == [r["psnr"] for r in written if r["kind"] == "val"]


def test_each_line_is_flushed_before_close(tmp_path):
    log = MetricsLog(tmp_path)
    log.log(1, "train", {"l_pix": 0.5})
    assert json.loads((tmp_path / METRICS_FILE).read_text()) == {"iter": 1, "kind": "train", "l_pix": 0.5}
    log.close()


def test_non_finite_values_round_trip(tmp_path):
    with MetricsLog(tmp_path) as log:
        log.log(1, "train", {"l_pix": float("nan"), "l_g": float("inf")})
    (rec,) = read_metrics(tmp_path / METRICS_FILE)
    assert math.isnan(rec["l_pix"]) and rec["l_g"] == math.inf


def test_bad_input_is_rejected(tmp_path):
    log = MetricsLog(tmp_path)
    with pytest.raises(ValueError):
        log.log(1, "test", {"a": 1.0})
    with pytest.raises(ValueError):
        log.log(1, "train", {"iter": 1.0})
    with pytest.raises(TypeError):
        log.log(1, "train", {"a": "high"})
    log.close()


def test_resume_truncates_later_records_and_partial_line(tmp_path):
    log = MetricsLog(tmp_path)
    written = fill(log, range(1, 31))
    log.close()
    with open(tmp_path / METRICS_FILE, "a") as fh:  # crash mid-line
        fh.write('{"iter": 31, "kind": "tra')
    assert len(read_metrics(tmp_path / METRICS_FILE)) == len(written)
    log = MetricsLog(tmp_path)
    dropped = log.resume(20)
    assert dropped == sum(r["iter"] > 20 for r in written) + 1
    log.log(21, "train", {"l_pix": 9.0})
    log.close()
    records = read_metrics(tmp_path / METRICS_FILE)
    assert records[:-1] == [r for r in written if r["iter"] <= 20]
    assert records[-1] == {"iter": 21, "kind": "train", "l_pix": 9.0}
    assert MetricsLog(tmp_path / "new").resume(5) == 0


def test_plot_curves_writes_valid_png(tmp_path):
    with MetricsLog(tmp_path) as log:
        fill(log, range(1, 41))
    png = plot_curves(tmp_path / METRICS_FILE, tmp_path / "curves.png")
    with Image.open(png) as img:
        img.verify()
    with Image.open(png) as img:
        assert img.format == "PNG" and img.size[0] > 300 and img.size[1] > 300
        assert np.asarray(img.convert("L")).std() > 0  # something was drawn
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_plot_curves_of_empty_log(tmp_path):
    png = plot_curves(tmp_path / "missing.jsonl", tmp_path / "c.png")
    with Image.open(png) as img:
        assert img.format == "PNG"
