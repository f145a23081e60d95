"""Crash-safe training states: write into a temporary folder, seal it with a manifest, rename.

Layout under the run folder::

    state/
      00005000/            # one complete state per saved iteration (8-digit, zero padded)
        manifest.json      # written last: files with sizes and sha256, iteration, "complete"
        ...                # whatever the writer put there (model, optimizer, EMA, RNG, ...)
      .tmp-00010000-ab12/  # a save in progress; removed when a store is opened

A state becomes visible under its final name only after every file and the manifest are on disk
(fsync'd) and the folder has been renamed, so a crash at any moment leaves either the previous
states or the new complete one. :meth:`StateStore.latest` re-checks the manifest (sizes, and the
hashes unless ``verify_hashes=False``) and falls back to the previous state, with a warning naming
the bad one, when the newest was damaged after it was written.

Only one process (the main process of a distributed run) may own a store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from esrgan_core.atomic import atomic_write_text
from esrgan_core.runlayout import STATE_DIR

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
_NAME = re.compile(r"^\d{8,}$")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _fsync_path(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # some platforms cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


class StateStore:
    """Complete training states under ``root/state/``, newest ``keep`` kept (``None``: keep all).

    Opening a store removes leftover temporary folders of interrupted saves; pass ``clean=False``
    to only inspect the states of a run that may be writing right now.
    """

    def __init__(self, root: Path, keep: int | None = 3, *, verify_hashes: bool = True, clean: bool = True) -> None:
        if keep is not None and keep < 1:
            raise ValueError(f"keep must be >= 1 or None, got {keep}")
        self.root = Path(root)
        self.dir = self.root / STATE_DIR
        self.keep = keep
        self.verify_hashes = verify_hashes
        if clean:
            self.clean_tmp()

    def path_for(self, iteration: int) -> Path:
        """The final folder of the state of ``iteration``."""
        return self.dir / f"{iteration:08d}"

    def clean_tmp(self) -> list[Path]:
        """Remove leftover ``.tmp-*`` folders/files of interrupted saves; return what was removed."""
        removed = []
        if self.dir.is_dir():
            for p in sorted(self.dir.glob(".tmp-*")):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
                removed.append(p)
        if removed:
            log.info("removed %d unfinished state folder(s) in %s", len(removed), self.dir)
        return removed

    def states(self) -> list[tuple[int, Path]]:
        """Every state folder by name (verified or not), oldest first."""
        if not self.dir.is_dir():
            return []
        found = [(int(p.name), p) for p in self.dir.iterdir() if p.is_dir() and _NAME.match(p.name)]
        return sorted(found)

    def save(self, iteration: int, writer: Callable[[Path], None], meta: Mapping[str, Any] | None = None) -> Path:
        """Write a state: ``writer(folder)`` fills a temporary folder, then it is sealed and renamed.

        ``meta`` (JSON-able) is stored in the manifest and returned by :func:`read_manifest`.
        States of later iterations (an abandoned timeline after resuming from an older state) are
        removed, then older ones are pruned to ``keep``. Returns the final folder.
        """
        tmp = self.begin(iteration)
        try:
            writer(tmp)
        except BaseException:
            self.abort(tmp)
            raise
        return self.commit(iteration, tmp, meta)

    def begin(self, iteration: int, token: str | None = None) -> Path:
        """Create the temporary folder of a save (``.tmp-{iteration:08d}-{token}``; random token by
        default). Multi-process writers pass the same ``token`` on every process so they all write
        into one folder (on a shared file system), then the main process calls :meth:`commit`."""
        if iteration < 0:
            raise ValueError(f"iteration must be >= 0, got {iteration}")
        self.dir.mkdir(parents=True, exist_ok=True)
        if token is None:
            return Path(tempfile.mkdtemp(prefix=f".tmp-{iteration:08d}-", dir=self.dir))
        tmp = self.dir / f".tmp-{iteration:08d}-{token}"
        tmp.mkdir(exist_ok=True)
        return tmp

    def abort(self, tmp: Path) -> None:
        """Remove the temporary folder of a save that failed."""
        if Path(tmp).exists():
            shutil.rmtree(tmp)

    def commit(self, iteration: int, tmp: Path, meta: Mapping[str, Any] | None = None) -> Path:
        """Seal ``tmp`` (manifest written last, fsync), rename it to ``state/{iteration:08d}/``, prune."""
        tmp = Path(tmp)
        try:
            self._seal(tmp, iteration, meta)
            final = self.path_for(iteration)
            if final.exists():  # the same iteration saved again (e.g. re-run after resume)
                old = Path(tempfile.mkdtemp(prefix=f".tmp-old-{iteration:08d}-", dir=self.dir))
                os.replace(final, old / final.name)
                os.replace(tmp, final)
                shutil.rmtree(old)
            else:
                os.replace(tmp, final)
            _fsync_path(self.dir)
        finally:
            self.abort(tmp)
        self._drop_newer_than(iteration)
        self.prune()
        return final

    def _seal(self, folder: Path, iteration: int, meta: Mapping[str, Any] | None) -> None:
        files = {}
        for p in _files_of(folder):
            _fsync_path(p)
            files[p.relative_to(folder).as_posix()] = {"size": p.stat().st_size, "sha256": sha256_file(p)}
        manifest = {"format": FORMAT, "iteration": iteration, "files": files, "meta": dict(meta or {}), "complete": True}
        atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        _fsync_path(folder)

    def _drop_newer_than(self, iteration: int) -> None:
        for it, path in self.states():
            if it > iteration:
                log.warning("removing state %s: it is newer than the state just saved (iteration %d)", path, iteration)
                shutil.rmtree(path)

    def prune(self) -> None:
        """Keep the newest ``keep`` complete states; older folders (complete or not) are removed."""
        if self.keep is None:
            return
        states = self.states()
        complete = [it for it, p in states if (p / MANIFEST).is_file()]
        if len(complete) <= self.keep:
            return
        cutoff = complete[-self.keep]
        for it, path in states:
            if it < cutoff:
                shutil.rmtree(path)

    def latest(self) -> Path | None:
        """The newest state whose manifest verifies; damaged newer ones are skipped with a warning."""
        for _, path in reversed(self.states()):
            problem = verify_state(path, hashes=self.verify_hashes)
            if problem is None:
                return path
            log.warning("skipping damaged training state %s: %s", path, problem)
        return None


def read_manifest(state: Path) -> dict[str, Any]:
    """The parsed manifest of a state folder (``iteration``, ``files``, ``meta``, ``complete``)."""
    return json.loads((Path(state) / MANIFEST).read_text(encoding="utf-8"))


def verify_state(state: Path, *, hashes: bool = True) -> str | None:
    """Check a state folder against its manifest; ``None`` if complete, else what is wrong."""
    state = Path(state)
    try:
        manifest = read_manifest(state)
    except FileNotFoundError:
        return "no manifest (the save did not finish)"
    except (OSError, ValueError) as exc:
        return f"unreadable manifest: {exc}"
    if not isinstance(manifest, dict) or manifest.get("complete") is not True:
        return "manifest is not marked complete"
    if _NAME.match(state.name) and manifest.get("iteration") != int(state.name):
        return f"manifest names iteration {manifest.get('iteration')!r}, folder says {int(state.name)}"
    files = manifest.get("files")
    if not isinstance(files, dict):
        return "manifest has no file list"
    for rel, info in files.items():
        p = state / rel
        if not p.is_file():
            return f"{rel} is missing"
        size = p.stat().st_size
        if size != info.get("size"):
            return f"{rel} has {size} bytes, manifest says {info.get('size')}"
        if hashes and "sha256" in info and sha256_file(p) != info["sha256"]:
            return f"{rel} does not match its sha256"
    return None
