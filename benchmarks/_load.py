"""Machine-load guard shared by the benchmark scripts: no figure taken on a busy machine is reported.

Timings taken while other processes use the CPU came out 5-10x slow on a 2-core machine (thread
oversubscription). :class:`LoadGuard` reads ``/proc/stat`` (CPU time of the whole machine) and
``/proc/self/stat`` (this process, all its threads) around each repeat, so the share of the machine's
CPU time used by *other* processes during the repeat is known exactly, and before it it samples a
short window (optionally waiting until the machine is quiet). A repeat during which others used more
than ``limit`` (default 10%) of the CPU is refused: it is recorded with its load but not reported as a
time. :func:`load_summary` is what a benchmark writes into its JSON.

Without ``/proc`` (not Linux) the load is unknown: repeats are accepted and marked ``load: null``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

DEFAULT_LIMIT = 0.10
EXIT_BUSY = 3  # exit status of a benchmark that refused repeats (1 stays "it failed")


def _machine_ticks() -> tuple[int, int] | None:
    """``(busy, total)`` CPU ticks of the whole machine since boot (``/proc/stat`` first line)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - idle, total


def _own_ticks() -> int:
    """CPU ticks used by this process (all threads) and its waited-for children."""
    try:
        text = Path(f"/proc/{os.getpid()}/stat").read_text()
    except OSError:
        return 0
    fields = text.rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15])  # utime stime cutime cstime


class LoadMeter:
    """Share of the machine's CPU time used by other processes between :meth:`start` and :meth:`stop`."""

    def start(self) -> None:
        self._machine, self._own = _machine_ticks(), _own_ticks()

    def stop(self) -> float | None:
        """Others' share in [0, 1], or None when the load cannot be read."""
        end = _machine_ticks()
        if self._machine is None or end is None:
            return None
        busy, total = end[0] - self._machine[0], end[1] - self._machine[1]
        others = busy - (_own_ticks() - self._own)
        return max(0.0, others / total) if total > 0 else 0.0


def other_load(window: float = 0.5) -> float | None:
    """Others' share of the CPU over the next ``window`` seconds (this process sleeps meanwhile)."""
    meter = LoadMeter()
    meter.start()
    time.sleep(window)
    return meter.stop()


class LoadGuard:
    """Time repeats and refuse those taken while other processes used more than ``limit`` of the CPU.

    ``wait``: seconds to wait, before each repeat, for a quiet ``window`` (0: do not wait).
    """

    def __init__(self, limit: float = DEFAULT_LIMIT, wait: float = 0.0, window: float = 0.5) -> None:
        self.limit, self.wait, self.window = limit, wait, window
        self.repeats: list[dict[str, Any]] = []

    def wait_until_quiet(self) -> float | None:
        """The load of the last window sampled, after waiting up to ``wait`` seconds for a quiet one."""
        deadline = time.monotonic() + self.wait
        while True:
            load = other_load(self.window)
            if load is None or load <= self.limit or time.monotonic() >= deadline:
                return load

    def timed(self, fn: Callable[[], Any], sync: Callable[[], None] = lambda: None) -> Any:
        """Run ``fn`` once as a repeat: record the load before and during it and the seconds; returns fn's result."""
        before = self.wait_until_quiet()
        sync()
        meter = LoadMeter()
        meter.start()
        t0 = time.perf_counter()
        result = fn()
        sync()
        seconds = time.perf_counter() - t0
        during = meter.stop()
        busy = any(v is not None and v > self.limit for v in (before, during))
        self.repeats.append({"seconds": seconds, "load_before": before, "load_during": during, "refused": busy})
        return result

    def accepted(self) -> list[float]:
        """Seconds of the repeats taken on a quiet machine."""
        return [r["seconds"] for r in self.repeats if not r["refused"]]


def load_summary(repeats: list[dict[str, Any]], limit: float = DEFAULT_LIMIT) -> dict[str, Any]:
    """``{accepted, refused, limit, repeats, refused_reason}`` for a benchmark's JSON."""
    refused = [r for r in repeats if r["refused"]]
    out: dict[str, Any] = {"accepted": len(repeats) - len(refused), "refused": len(refused), "limit": limit,
                           "repeats": repeats}
    if refused:
        worst = max(max(v for v in (r["load_before"], r["load_during"]) if v is not None) for r in refused)
        out["refused_reason"] = (f"{len(refused)} of {len(repeats)} repeat(s) taken while other processes used up to "
                                 f"{worst:.0%} of the CPU (limit {limit:.0%}); their times are not reported")
    return out


def best_or_none(guard: LoadGuard) -> float | None:
    """The fastest accepted repeat, or None when every repeat was refused."""
    times = guard.accepted()
    return min(times) if times else None


def add_load_options(parser: Any) -> None:
    """``--max-load`` and ``--wait-quiet``, the same in every benchmark script."""
    parser.add_argument("--max-load", type=float, default=DEFAULT_LIMIT,
                        help="refuse repeats taken while other processes used more than this share of the CPU")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each repeat wait up to this long for the machine to be quiet")


def guard_from(args: Any) -> LoadGuard:
    return LoadGuard(limit=args.max_load, wait=args.wait_quiet)
