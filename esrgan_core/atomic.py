"""Atomic file writes: write to a temporary name in the same folder, fsync, then rename.

A crash leaves either the old file or the complete new one, never a truncated file under the
final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

TMP_PREFIX = ".tmp-"


def _default_mode() -> int:
    """The permissions a plain ``open(..., "w")`` would give (0o666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; on success it is renamed onto ``final``.

    The temporary name keeps the final suffix (so writers that pick a format by extension work)
    and starts with ``.tmp-<pid>-`` so it is never mistaken for a finished file and a later run
    can tell a leftover of a killed writer (:func:`clean_stale_temps`) from a write in progress.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-{final.stem}-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, _default_mode())  # mkstemp makes 0600 files; outputs are ordinary files
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(final: Path, text: str) -> None:
    atomic_write_bytes(final, text.encode("utf-8"))


def atomic_write_with(final: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result onto ``final`` atomically."""
    with atomic_path(final) as tmp:
        writer(tmp)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale_temps(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Remove temporary files that interrupted atomic writes left in ``folder``; return them.

    A ``.tmp-<pid>-*`` file whose writer process is still alive (another run writing into the same
    folder) is kept; one without a pid (older versions) or of a dead process is removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for p in sorted(folder.rglob(f"{TMP_PREFIX}*") if recursive else folder.glob(f"{TMP_PREFIX}*")):
        pid = p.name[len(TMP_PREFIX):].split("-", 1)[0]
        if not p.is_file() or (pid.isdigit() and _pid_alive(int(pid))):
            continue
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed
