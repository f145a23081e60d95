"""One worker thread runs every heavy request in arrival order: concurrent requests queue.

A :class:`Job` is what the page polls: its state (queued, running, done, failed), its place in the
queue, progress, the warnings and errors logged while it ran (one line each) and its result. A job
that raises gives ``failed`` with a one-line message; the worker goes on with the next job.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import queue
import secrets
import threading
from typing import Any, Callable

import attrs

from esrgan_core.errors import EsrganError, short_message

log = logging.getLogger(__name__)


@attrs.define
class Job:
    """A queued piece of work; ``order``/``started``/``finished`` are ticks of one counter (not times)."""

    id: str
    kind: str
    order: int
    state: str = "queued"
    progress: tuple[int, int] = (0, 0)
    messages: list[str] = attrs.field(factory=list)
    result: Any = None
    error: str = ""
    started: int = 0
    finished: int = 0

    def to_json(self, position: int) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "state": self.state, "position": position,
                "progress": list(self.progress), "messages": list(self.messages), "error": self.error,
                "result": self.result, "started": self.started, "finished": self.finished}


class _Capture(logging.Handler):
    """Warnings and errors logged by the worker thread go into the running job's messages."""

    def __init__(self, job: Job, thread: int) -> None:
        super().__init__(logging.WARNING)
        self.job, self.thread = job, thread

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.job.messages.append(short_message(record.getMessage().splitlines()[0] if record.getMessage() else ""))


def error_line(exc: BaseException) -> str:
    """One line for the page: our errors as they read; anything else with its type."""
    if isinstance(exc, EsrganError):
        return short_message(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return short_message(f"{type(exc).__name__}: {text}")


class JobQueue:
    """``submit(kind, fn)`` queues ``fn(job)``; ``run(kind, fn)`` queues and awaits its result."""

    def __init__(self, keep: int = 200) -> None:
        self._queue: queue.Queue[tuple[Job, Callable[[Job], Any], concurrent.futures.Future]] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._ticks = itertools.count(1)
        self._keep = keep
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="esrgan-webui-worker", daemon=True)
        self._thread.start()

    def submit(self, kind: str, fn: Callable[[Job], Any]) -> tuple[Job, concurrent.futures.Future]:
        with self._lock:
            job = Job(secrets.token_hex(8), kind, next(self._ticks))
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-self._keep]:
                if self._jobs[old].state in ("done", "failed"):
                    del self._jobs[old]
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((job, fn, future))
        return job, future

    async def run(self, kind: str, fn: Callable[[Job], Any]) -> Any:
        """Queue ``fn`` behind the other jobs and await its result (its exception is re-raised)."""
        _, future = self.submit(kind, fn)
        return await asyncio.wrap_future(future)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id) if isinstance(job_id, str) else None

    def position(self, job: Job) -> int:
        """How many jobs run or wait before ``job`` (0 when it runs or has run)."""
        if job.state != "queued":
            return 0
        return sum(1 for j in list(self._jobs.values()) if j.order < job.order and j.state in ("queued", "running"))

    def close(self) -> None:
        """Let the worker finish the jobs queued so far, then stop (the app's shutdown calls this)."""
        self._queue.put(None)  # type: ignore[arg-type]

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, fn, future = item
            job.state, job.started = "running", next(self._ticks)
            capture = _Capture(job, threading.get_ident())
            logging.getLogger().addHandler(capture)
            try:
                job.result = fn(job)
                job.state = "done"
                future.set_result(job.result)
            except BaseException as exc:  # the worker must outlive any job
                job.error, job.state = error_line(exc), "failed"
                if not isinstance(exc, EsrganError):
                    log.debug("job %s failed", job.id, exc_info=True)
                future.set_exception(exc)
            finally:
                logging.getLogger().removeHandler(capture)
                job.finished = next(self._ticks)
