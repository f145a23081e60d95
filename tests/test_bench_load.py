"""Benchmark load guard: repeats taken while other processes use the CPU are refused, not reported."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from benchmarks._load import LoadGuard, LoadMeter, _own_ticks, best_or_none, load_summary

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs /proc (Linux)")

BURN = "import time\nend = time.time() + {s}\nwhile time.time() < end: pass\n"


def test_repeat_taken_while_another_process_burns_a_core_is_refused():
    """One busy process takes a whole core: 1/N of an N-core machine, over the limit of 0.5/N."""
    limit = 0.5 / os.cpu_count()
    burner = subprocess.Popen([sys.executable, "-c", BURN.format(s=3)])
    try:
        time.sleep(0.3)  # let it start
        guard = LoadGuard(limit=limit)
        guard.timed(lambda: time.sleep(1.0))
    finally:
        burner.wait()
    (repeat,) = guard.repeats
    assert repeat["refused"] and repeat["load_during"] > limit
    assert best_or_none(guard) is None and guard.accepted() == []
    summary = load_summary(guard.repeats, limit)
    assert summary["refused"] == 1 and "not reported" in summary["refused_reason"]


def test_own_cpu_time_is_not_counted_as_other_load():
    meter, t0 = LoadMeter(), time.process_time()
    own0 = _own_ticks()
    meter.start()
    end = time.process_time() + 0.5
    while time.process_time() < end:
        pass
    assert meter.stop() is not None
    used = (_own_ticks() - own0) / os.sysconf("SC_CLK_TCK")
    assert abs(used - (time.process_time() - t0)) < 0.1  # /proc/self/stat sees exactly this process's time


def test_summary_keeps_quiet_repeats_and_names_the_worst_load():
    repeats = [{"seconds": 2.0, "load_before": 0.01, "load_during": 0.02, "refused": False},
               {"seconds": 9.0, "load_before": 0.05, "load_during": 0.63, "refused": True}]
    s = load_summary(repeats, 0.10)
    assert (s["accepted"], s["refused"]) == (1, 1) and "63%" in s["refused_reason"]
    guard = LoadGuard()
    guard.repeats = repeats
    assert guard.accepted() == [2.0] and best_or_none(guard) == 2.0
