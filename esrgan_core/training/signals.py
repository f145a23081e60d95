"""Stopping a stage: the one stop request, SIGINT/SIGTERM handlers, the all-process agreement, and
:class:`TrainingStopped` (a stop that is an error: non-finite loss, failing observer, unwritable folder)."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Any, Iterator

import torch

from esrgan_core.errors import EsrganError


class TrainingStopped(EsrganError):
    """The run stopped on an error after saving what it could (a non-finite loss, a failing observer
    plugin, a checkpoint that cannot be written); re-running resumes from the newest complete state."""


class StopRequest:
    """Why the stage should stop after the current iteration (``None``: keep going). Shared by the
    observer view (``request_stop``), the signal handlers and the loop."""

    __slots__ = ("reason",)

    def __init__(self) -> None:
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        self.reason = reason

    def __bool__(self) -> bool:
        return self.reason is not None


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """SIGINT/SIGTERM ask to stop after this iteration (a second Ctrl-C aborts)."""
    def handler(signum: int, frame: Any) -> None:
        if stop and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.request(f"signal {signal.Signals(signum).name}")

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


def any_stop(stop: StopRequest, accelerator: Any) -> bool:
    """Whether any process asked to stop (one all-reduce when there are several)."""
    flag = bool(stop)
    if accelerator.num_processes > 1:
        t = torch.tensor([1.0 if flag else 0.0], device=accelerator.device)
        flag = bool(accelerator.reduce(t, "sum").item() > 0)
        if flag and not stop:
            stop.request("another process stopped")
    return flag
