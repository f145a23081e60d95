"""Shared machinery of the image datasets: seeds and epochs, path resolution, skipping bad files.

Item randomness comes from ``(seed, epoch, index)`` (see :mod:`.transforms`). ``seed`` is the
dataset's ``seed`` option or, when that is unset, the seed the training loader gives (``set_seed``);
``epoch`` is advanced by the loader. An image that cannot be decoded is skipped with a warning
naming it, counted in ``skipped`` (per process: DataLoader workers keep their own count), and
another index is drawn from the same item generator, so one bad file never stops a run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from esrgan_core.errors import DataError, ImageError
from esrgan_core.images import IMAGE_EXTENSIONS, Image, read_image
from esrgan_plugins.datasets.transforms import item_generator, randint

log = logging.getLogger("esrgan.datasets")


def resolve(path: str | Path, base_dir: str | Path | None) -> Path:
    """``path`` (``~`` expanded) relative to ``base_dir`` (the config's folder) when not absolute."""
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def scan_folder(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted). Other files are ignored with one warning."""
    if not folder.is_dir():
        raise DataError(f"dataset folder {folder} does not exist or is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    images = [p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS]
    others = [p for p in files if p.suffix.lower() not in IMAGE_EXTENSIONS]
    if others:
        names = ", ".join(str(p.relative_to(folder)) for p in others[:5]) + (", ..." if len(others) > 5 else "")
        log.warning("ignoring %d non-image file(s) in %s: %s", len(others), folder, names)
    return images


def read_meta_info(meta_info: Path) -> list[str]:
    """Non-empty, non-comment lines of a meta_info file, stripped."""
    try:
        text = meta_info.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read meta_info file {meta_info}: {exc}") from None
    return [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")]


def rgb01(image: Image, alpha: str = "drop") -> Any:
    """HWC RGB float32 [0,1]: gray -> RGB; alpha dropped or composited on white (``alpha="white"``)."""
    if image.mode == "RGBA" and alpha == "white":
        a = image.pixels[..., 3:4]
        return image.pixels[..., :3] * a + (1.0 - a)
    return image.rgb


class SeededImageDataset(Dataset):
    """Base: ``__getitem__`` retries with another source when ``load`` raises ImageError."""

    source: str = ""  # folder or collection named in errors

    def __init__(self, seed: int | None) -> None:
        self.seed = 0 if seed is None else seed
        self.seed_from_loader = seed is None
        self.epoch = 0
        self.skipped = 0
        self._bad: set[int] = set()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def set_seed(self, seed: int) -> None:
        """Called by the training loader; used when the dataset has no ``seed`` option of its own."""
        if self.seed_from_loader:
            self.seed = int(seed)

    def num_sources(self) -> int:
        raise NotImplementedError

    def load(self, source: int, g: torch.Generator) -> dict[str, Any]:
        raise NotImplementedError

    def source_of(self, index: int) -> int:
        return index

    def __getitem__(self, index: int) -> dict[str, Any]:
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of {len(self)} items")
        g = item_generator(self.seed, self.epoch, index)
        source = self.source_of(index)
        while True:
            try:
                return self.load(source, g)
            except ImageError as exc:
                self.mark_bad(source, exc)
                source = self._another_source(g)

    def mark_bad(self, source: int, exc: ImageError) -> None:
        if source not in self._bad:
            self._bad.add(source)
            self.skipped += 1
            log.warning("skipping unreadable image %s", exc)

    def _another_source(self, g: torch.Generator) -> int:
        good = [i for i in range(self.num_sources()) if i not in self._bad]
        if not good:
            raise DataError(f"no usable image in {self.source}: all {self.num_sources()} files are unreadable")
        return good[randint(g, 0, len(good) - 1)]

    def check_all(self, paths: list[Path]) -> list[int]:
        """Eager check: decode every file now; return the indices that work (bad ones warned, counted)."""
        ok = []
        for i, p in enumerate(paths):
            try:
                read_image(p)
                ok.append(i)
            except ImageError as exc:
                self.mark_bad(i, exc)
        self._bad.clear()
        return ok
