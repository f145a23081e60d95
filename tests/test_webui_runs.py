"""The Runs view's API on a real finished run: status, stages, curves' records, images per iteration,
compare images, the config; a run whose files stopped changing reads as stopped."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import needs_extra

needs_extra("ui", "starlette")
needs_extra("ui", "uvicorn")

from esrgan_core.runlayout import RunLayout  # noqa: E402
from esrgan_core.training.metrics_log import read_metrics  # noqa: E402
from esrgan_plugins.webui.runs import RUNNING_WINDOW_S, run_summary  # noqa: E402
from tests.webui_support import call, running_server, tiny_finished_run  # noqa: E402


@pytest.mark.slow
def test_runs_view_reads_a_finished_run(tmp_path: Path) -> None:
    root = tmp_path / "experiments"
    run = tiny_finished_run(root)
    stage = RunLayout(run).stage("esrnet")
    with running_server(root) as base:
        status, listing = call(f"{base}/api/runs")
        assert status == 200
        (summary,) = listing["runs"]
        assert summary["path"] == "tiny" and summary["status"] == "finished"
        (st,) = summary["stages"]
        assert st["name"] == "esrnet" and st["done"] and st["iter"] == 2
        val = [r for r in read_metrics(stage.metrics_file) if r["kind"] == "val"]
        best = max(val, key=lambda r: r["psnr"])
        assert st["best"]["psnr"] == {"value": best["psnr"], "iter": best["iter"]}
        assert "tiny/esrnet/models/net_g_ema_latest.safetensors" in st["models"]

        status, detail = call(f"{base}/api/run?path=tiny")
        assert status == 200
        assert detail["metrics"]["esrnet"] == read_metrics(stage.metrics_file)
        images = detail["images"]["esrnet"]["astronaut"]
        assert [i["iter"] for i in images] == [1, 2]
        status, png = call(f"{base}/api/file?path={images[-1]['path']}")
        assert status == 200 and png == (stage.visualization / "astronaut" / "astronaut_2.png").read_bytes()
        assert detail["compare"] == ["tiny/compare/chelsea.png"]
        assert detail["config"] == RunLayout(run).config.read_text()
        status, info = call(f"{base}/api/info")
        assert {"id": "run:tiny/esrnet/models/net_g_ema_latest.safetensors", "group": "runs"}.items() <= \
            next(m for m in info["models"] if m["id"].startswith("run:")).items()

    (stage.done_file).unlink()  # not finished, and its logs are old: stopped; fresh logs: running
    old = time.time() - 2 * RUNNING_WINDOW_S
    for f in (stage.metrics_file, stage.train_log):
        os.utime(f, (old, old))
    assert run_summary(root, run)["status"] == "stopped"
    assert run_summary(root, run, now=old + 1)["status"] == "running"
