"""Uploads: streamed to the server's own work folder under a random id, with size and pixel limits.

An upload is refused with a one-line message (never a traceback) when it is larger than
``max_upload_bytes``, is not an image or video by its extension, has more than ``max_pixels``
pixels (read from the header, before decoding) or cannot be decoded. Nothing of a refused upload is kept.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import AsyncIterator

import attrs

from esrgan_core.errors import EsrganError
from esrgan_core.images import IMAGE_EXTENSIONS, read_image
from esrgan_plugins.webui.paths import PathRefused, safe_filename

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".ts", ".nut")  # those the upscale task reads as videos
ID_CHARS = set("0123456789abcdef")


class UploadRefused(EsrganError):
    """An upload that breaks a limit or is not a readable image (the page shows the message)."""

    exit_code = 2


@attrs.frozen
class Limits:
    """What the server accepts: bytes per upload and pixels per image."""

    max_upload_bytes: int = 100 * 1024 * 1024
    max_pixels: int = 25_000_000


@attrs.frozen
class Upload:
    """A stored upload: ``id`` names it in later requests; ``path`` is where the file lies."""

    id: str
    name: str
    path: Path
    kind: str  # "image" or "video"
    width: int = 0
    height: int = 0


def size_text(n: float) -> str:
    """Bytes for a message: MB from one megabyte on, kB below."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the file header (Pillow opens lazily: nothing is decoded)."""
    import warnings

    from PIL import Image as PILImage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)  # our own limit applies
            with PILImage.open(path) as im:
                return int(im.size[0]), int(im.size[1])
    except PILImage.DecompressionBombError:
        raise UploadRefused(f"{path.name}: far over the pixel limit (a decompression bomb?)") from None
    except Exception as exc:  # Pillow raises many types for broken headers
        raise UploadRefused(f"{path.name}: not a readable image ({type(exc).__name__})") from None


class UploadStore:
    """Uploads kept under ``folder/<id>/<name>``; ids are random hex, so a request cannot guess a path."""

    def __init__(self, folder: Path, limits: Limits) -> None:
        self.folder, self.limits = Path(folder), limits
        self.folder.mkdir(parents=True, exist_ok=True)
        self._items: dict[str, Upload] = {}

    async def save(self, name: str, chunks: AsyncIterator[bytes], declared: int | None = None) -> Upload:
        """Store one upload from its body chunks; refused uploads leave nothing behind."""
        limit = self.limits.max_upload_bytes
        if declared is not None and declared > limit:
            raise UploadRefused(f"{name}: {size_text(declared)} is over the upload limit of {size_text(limit)} (--max-upload-mb)")
        filename = safe_filename(name, IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)
        uid = secrets.token_hex(8)
        folder = self.folder / uid
        folder.mkdir()
        path, size = folder / filename, 0
        try:
            with open(path, "wb") as fh:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise UploadRefused(f"{name}: over the upload limit of {size_text(limit)} (--max-upload-mb)")
                    fh.write(chunk)
            if size == 0:
                raise UploadRefused(f"{name}: the file is empty")
            upload = self._check(uid, filename, path)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._items[uid] = upload
        return upload

    def _check(self, uid: str, filename: str, path: Path) -> Upload:
        if path.suffix.lower() in VIDEO_EXTENSIONS:
            return Upload(uid, filename, path, "video")
        w, h = image_size(path)
        if w * h > self.limits.max_pixels:
            raise UploadRefused(f"{filename}: {w}x{h} = {w * h:,} pixels is over the pixel limit of "
                                f"{self.limits.max_pixels:,} (--max-pixels)")
        try:
            read_image(path)
        except EsrganError as exc:
            raise UploadRefused(f"{filename}: not a readable image (corrupt or unsupported format)") from exc
        return Upload(uid, filename, path, "image", w, h)

    def get(self, uid: str) -> Upload:
        """The upload ``uid`` (PathRefused for an unknown or malformed id)."""
        if not isinstance(uid, str) or not uid or not set(uid) <= ID_CHARS or uid not in self._items:
            raise PathRefused(f"unknown upload {uid!r} (upload the file again)")
        return self._items[uid]
