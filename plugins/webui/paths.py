"""Confinement: every path the page can name is relative to one root and stays inside it.

A name from the page is refused (:class:`PathRefused`, a one-line message the page shows) when it
is absolute, contains a ``..`` part, a NUL or a backslash, or resolves (following symlinks) to a
place outside the root. Upload file names are reduced to a safe base name.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from esrgan_core.errors import EsrganError

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class PathRefused(EsrganError):
    """A path from a request that would leave the root (or names nothing there)."""

    exit_code = 2


def confine(root: Path, name: str, *, must_exist: bool = True) -> Path:
    """``root / name`` resolved, refused unless it stays inside ``root`` (symlinks followed)."""
    if not isinstance(name, str) or "\x00" in name or "\\" in name:
        raise PathRefused(f"refused path {name!r}: not a plain relative path")
    rel = PurePosixPath(name)
    if rel.is_absolute() or name.startswith("~") or re.match(r"^[A-Za-z]:", name):
        raise PathRefused(f"refused path {name!r}: absolute paths are not served; name a path under the root")
    if ".." in rel.parts:
        raise PathRefused(f"refused path {name!r}: '..' is not allowed")
    base = root.resolve()
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise PathRefused(f"refused path {name!r}: it leads outside the root (a symlink?)")
    if must_exist and not target.exists():
        raise PathRefused(f"no such file or folder under the root: {name!r}")
    return target


def relative(root: Path, path: Path) -> str | None:
    """``path`` as the relative POSIX name the page uses; None when it resolves outside ``root``."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def relatives(root: Path, paths: list[Path]) -> list[str]:
    """The names of those ``paths`` that stay inside ``root`` (a symlink out is left out)."""
    return [r for r in (relative(root, p) for p in paths) if r is not None]


def safe_filename(name: str, allowed: tuple[str, ...]) -> str:
    """A plain base name for an uploaded file (no folders, no leading dot, an allowed extension)."""
    base = SAFE_NAME.sub("_", PurePosixPath(str(name).replace("\\", "/")).name).lstrip(".")
    suffix = PurePosixPath(base).suffix.lower()
    if not base or suffix not in allowed:
        raise PathRefused(f"{name!r}: not an accepted file type (use {', '.join(allowed)})")
    return base
