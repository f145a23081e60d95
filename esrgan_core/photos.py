"""Image sources a config can name: the offline scikit-image photos and files, and the one base-directory rule.

A reference is ``skimage:NAME`` (a photo shipped inside scikit-image: no download) or a path. Relative
paths follow the working directory, as in BasicSR (:func:`base_dir`). Every command and service that takes
an image reference parses it here (:func:`parse_ref`, :func:`load_ref`, :func:`ref_name`).
"""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np

PHOTOS: tuple[str, ...] = (
    "astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina", "immunohistochemistry", "stereo_motorcycle",
)
PREFIX = "skimage:"


def base_dir() -> Path:
    """Where relative paths of configs and options are resolved: the working directory (BasicSR's rule)."""
    return Path.cwd()


def resolve_path(path: str | Path, base: Path | None = None) -> Path:
    """``path`` with ``~`` expanded, relative to ``base`` (default :func:`base_dir`) unless absolute."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base if base is not None else base_dir()) / p


@attrs.frozen
class ImageRef:
    """A parsed image reference: a scikit-image photo (``photo`` set) or a file (``path`` set)."""

    text: str
    photo: str | None = None
    path: Path | None = None

    @property
    def name(self) -> str:
        """Short name for output files and reports: the photo's name or the file's stem."""
        return self.photo if self.photo is not None else Path(self.text).stem


def parse_ref(ref: str | Path, base: Path | None = None) -> ImageRef:
    """Split ``skimage:NAME`` from paths (resolved against ``base``); the name is not checked here."""
    text = str(ref)
    if text.startswith(PREFIX):
        return ImageRef(text, photo=text[len(PREFIX):])
    return ImageRef(text, path=resolve_path(text, base))


def ref_name(ref: str | Path) -> str:
    """The short name of a reference (``skimage:astronaut`` -> ``astronaut``; ``a/b.png`` -> ``b``)."""
    return parse_ref(ref, Path(".")).name


def unknown_photo(name: str) -> str | None:
    """The one-line problem with a photo name, or None when scikit-image ships it."""
    if name in PHOTOS:
        return None
    return f"unknown scikit-image photo {name!r}; known: {', '.join(PHOTOS)}"


def load_photo(name: str) -> np.ndarray:
    """HWC RGB uint8 of one photo from ``skimage.data`` (bundled with the package)."""
    import skimage.data

    img = getattr(skimage.data, name)()
    if isinstance(img, tuple):  # stereo_motorcycle: (left, right, disparity)
        img = img[0]
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def load_ref(ref: str | Path | ImageRef, base: Path | None = None) -> np.ndarray:
    """HWC RGB float32 [0,1] of a reference (a photo, or a file read with :func:`esrgan_core.images.read_rgb01`)."""
    r = ref if isinstance(ref, ImageRef) else parse_ref(ref, base)
    if r.photo is not None:
        problem = unknown_photo(r.photo)
        if problem:
            from esrgan_core.errors import ConfigError

            raise ConfigError(problem)
        return load_photo(r.photo).astype(np.float32) / 255.0
    from esrgan_core.images import read_rgb01

    assert r.path is not None
    return read_rgb01(r.path)
