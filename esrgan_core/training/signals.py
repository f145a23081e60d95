"""Stop requests: SIGINT/SIGTERM end a stage after the current iteration; all processes agree to stop."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Any, Iterator

import torch


@contextmanager
def stop_on_signals(loop: Any) -> Iterator[None]:
    """SIGINT/SIGTERM ask ``loop`` to stop after this iteration (a second Ctrl-C aborts)."""
    def handler(signum: int, frame: Any) -> None:
        if loop.stop_reason is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        loop.request_stop(f"signal {signal.Signals(signum).name}")

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for s in old:
            signal.signal(s, handler)
    except ValueError:  # not the main thread: leave signals alone
        old = {}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def any_stop(loop: Any) -> bool:
    """Whether any process asked to stop (one all-reduce when there are several)."""
    acc = loop.acc
    flag = loop.stop_reason is not None
    if acc.num_processes > 1:
        t = torch.tensor([1.0 if flag else 0.0], device=acc.device)
        flag = bool(acc.reduce(t, "sum").item() > 0)
        if flag and loop.stop_reason is None:
            loop.request_stop("another process stopped")
    return flag
