"""Native libraries' warnings (libpng, libtiff, OpenCV) caught and reported once per file.

C libraries print straight to file descriptor 2, past Python's logging, and do so again every
time a file is decoded (every epoch for a training image). :func:`capture_stderr` redirects fd 2
into a temporary file around one native call; :func:`warn_once` logs a message for a file the
first time only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from typing import Iterator

log = logging.getLogger("esrgan.images")
_lock = threading.Lock()
_warned: set[tuple[str, str]] = set()


@contextlib.contextmanager
def capture_stderr() -> Iterator[list[str]]:
    """Collect what native code writes to fd 2 inside the block (the list is filled on exit)."""
    lines: list[str] = []
    with _lock, tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no real fd 2 (embedded interpreters): nothing to capture
            yield lines
            return
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            lines.extend(s.strip() for s in text.splitlines() if s.strip())


def warn_once(file: str, kind: str, message: str) -> None:
    """Log ``file: message`` as a warning unless this (file, kind) was reported before."""
    key = (str(file), kind)
    if key in _warned:
        return
    _warned.add(key)
    log.warning("%s: %s", file, message)
