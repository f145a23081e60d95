"""The resumable partial of a video job: encoded segments plus a manifest, in a hidden work folder.

``{output folder}/.{output name}.parts/`` holds ``manifest.json`` and ``seg-NNNNNN.nut``: each
segment is ``segment_frames`` consecutive frames (the last one may be shorter), encoded on its own
(it starts with a key frame) into NUT, which keeps the input's time base and timestamps exactly.
A segment is written under a temporary name and renamed when complete, then the manifest (written
atomically) records it, so a crash or Ctrl-C loses at most the segment in progress. The manifest
also records a key of everything that shapes the output (input file size and time, model, options);
a partial made with another key is discarded, never mixed in.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from esrgan_core.atomic import atomic_write_text

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"


def parts_folder(dst: Path) -> Path:
    return dst.parent / f".{dst.name}.parts"


def source_key(src: Path) -> dict[str, Any]:
    st = src.stat()
    return {"path": str(src.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


class Parts:
    """Completed segments of one output; ``frames_done`` frames are already encoded."""

    def __init__(self, dst: Path, key: dict[str, Any], segment_frames: int) -> None:
        self.folder = parts_folder(dst)
        self.segment_frames = segment_frames
        self.key = {**key, "segment_frames": segment_frames}
        self.segments: list[int] = []  # frame count of each completed segment
        self._load()

    @property
    def frames_done(self) -> int:
        return sum(self.segments)

    def _load(self) -> None:
        path = self.folder / MANIFEST
        if not path.is_file():
            return
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        if data.get("key") != self.key:
            log.warning("%s: the partial result was made with other settings or another input; starting over",
                        self.folder)
            self.discard()
            return
        counts = [int(n) for n in data.get("segments", [])]
        if all(self.segment_path(i).is_file() for i in range(len(counts))):
            self.segments = counts
        else:
            log.warning("%s: segments are missing; starting over", self.folder)
            self.discard()

    def segment_path(self, index: int) -> Path:
        return self.folder / f"seg-{index:06d}.nut"

    def temp_path(self, index: int) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f".tmp-seg-{index:06d}.nut"

    def commit(self, index: int, frames: int) -> None:
        """Rename the finished temporary segment ``index`` into place and record it."""
        if index != len(self.segments):
            raise ValueError(f"segment {index} committed out of order (have {len(self.segments)})")
        self.temp_path(index).replace(self.segment_path(index))
        self.segments.append(frames)
        atomic_write_text(self.folder / MANIFEST, json.dumps({"key": self.key, "segments": self.segments}, indent=1))

    def paths(self) -> list[Path]:
        return [self.segment_path(i) for i in range(len(self.segments))]

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.segments = []
