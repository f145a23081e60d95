"""Download one registry file into a folder: progress bar, size + sha256 checked before it is kept.

The bytes go to a hidden temporary file in the target folder while being hashed; only a file of
the registered size and sha256 is renamed to its final name (atomic on one file system). A short,
long or wrong file is deleted and reported; nothing half-written is ever left under the final name.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from esrgan_core.errors import WeightsDownloadError
from esrgan_core.weights_registry import WeightsFile

log = logging.getLogger("esrgan.weights")
__all__ = ["WeightsDownloadError", "download_entry"]
CHUNK = 1 << 16
TIMEOUT_S = 60


def _progress(total: int | None, label: str):
    """A tqdm bar on stderr (disabled when stderr is not a terminal, e.g. in logs and tests)."""
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                disable=not sys.stderr.isatty(), file=sys.stderr)


def _stream(entry: WeightsFile, out, digest) -> int:
    """Copy the response body of ``entry.url`` into ``out``, updating ``digest``; returns the byte count."""
    request = urllib.request.Request(entry.url, headers={"User-Agent": "esrgan-weights"})
    done = 0
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:  # noqa: S310 (https/http URLs from the registry)
        length = resp.headers.get("Content-Length")
        with _progress(int(length) if length else entry.size, entry.filename) as bar:
            for chunk in iter(lambda: resp.read(CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                bar.update(len(chunk))
    return done


def download_entry(entry: WeightsFile, folder: Path) -> Path:
    """Fetch ``entry`` into ``folder/entry.filename`` (replacing a bad copy only once a good one is in)."""
    if entry.sha256 is None:
        raise WeightsDownloadError(f"{entry.filename}: no sha256 is registered, so it is not downloaded")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / entry.filename
    log.info("downloading %s -> %s", entry.url, final)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{entry.filename}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            size = _stream(entry, out, digest)
        if entry.size is not None and size != entry.size:
            raise WeightsDownloadError(f"{entry.url}: got {size} bytes, expected {entry.size}; nothing was kept")
        if digest.hexdigest() != entry.sha256:
            raise WeightsDownloadError(f"{entry.url}: sha256 {digest.hexdigest()[:16]}... differs from the registered "
                                       f"{entry.sha256[:16]}...; the download was deleted")
        os.replace(tmp, final)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise WeightsDownloadError(f"cannot download {entry.url}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return final
