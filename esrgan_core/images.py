"""Image files in and out, with channel order, range and bit depth explicit at the boundary.

Inside esrgan, images are float32 in [0, 1], channel order RGB (or RGBA, or one gray channel),
HWC for numpy arrays and NCHW for tensors. OpenCV's BGR order never leaves this module.
EXIF orientation is applied on read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import attrs
import cv2
import numpy as np

from esrgan_core.atomic import atomic_write_bytes
from esrgan_core.errors import ImageError, UnreadableImageError
from esrgan_core.native_log import capture_stderr, warn_once

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
_SIXTEEN_BIT_OK = (".png", ".tif", ".tiff")


@attrs.frozen
class Image:
    """A decoded image: ``pixels`` float32 HWC in [0,1]; mode "L" (H x W x 1), "RGB" or "RGBA"."""

    pixels: np.ndarray = attrs.field(eq=False, repr=False)
    mode: str
    bit_depth: int
    path: str = ""

    @property
    def rgb(self) -> np.ndarray:
        """HWC RGB float32 [0,1]: gray repeated to 3 channels, alpha dropped."""
        if self.mode == "L":
            return np.repeat(self.pixels, 3, axis=2)
        return self.pixels[..., :3]

    @property
    def alpha(self) -> np.ndarray | None:
        """HxWx1 float32 [0,1] alpha, or None."""
        return self.pixels[..., 3:4] if self.mode == "RGBA" else None


def _exif_orientation(path: Path) -> tuple[int, int]:
    """(EXIF orientation, number of frames) as Pillow reads them; (1, 1) when it cannot."""
    try:
        from PIL import Image as PILImage

        with PILImage.open(path) as im:
            return int(im.getexif().get(0x0112, 1)), int(getattr(im, "n_frames", 1) or 1)
    except Exception:
        return 1, 1


def _apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    ops = {
        2: lambda x: x[:, ::-1], 3: lambda x: x[::-1, ::-1], 4: lambda x: x[::-1],
        5: lambda x: np.swapaxes(x, 0, 1), 6: lambda x: np.rot90(x, -1),
        8: lambda x: np.rot90(x, 1),
    }
    if orientation == 7:  # transverse: rotate 90 CW then flip horizontally == swap axes then flip both
        return np.ascontiguousarray(np.swapaxes(a, 0, 1)[::-1, ::-1])
    op = ops.get(orientation)
    return np.ascontiguousarray(op(a)) if op else a


def read_image(path: str | Path) -> Image:
    """Decode an image file (PNG/JPEG/WebP/TIFF/BMP; 8- or 16-bit; gray, RGB or RGBA)."""
    p = Path(path)
    if not p.is_file():
        raise UnreadableImageError("file does not exist", file=p)
    try:
        raw = np.fromfile(p, dtype=np.uint8)
    except OSError as exc:
        raise UnreadableImageError(f"cannot read file: {exc}", file=p) from None
    with capture_stderr() as native:
        arr = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if native:
        warn_once(str(p), "native", f"decoder warning: {'; '.join(native)[:300]}")
    if arr is None:
        raise UnreadableImageError("not a readable image (corrupt or unsupported format)", file=p)
    if arr.dtype == np.uint8:
        depth, pixels = 8, arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        depth, pixels = 16, arr.astype(np.float32) / 65535.0
    elif arr.dtype in (np.float32, np.float64):
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        if lo < 0.0 or hi > 1.0 or np.isnan(arr).any():
            warn_once(str(p), "clip", f"float pixel values in [{lo:g}, {hi:g}] (or NaN) are clipped to [0, 1]")
        depth, pixels = 16, np.clip(np.nan_to_num(arr.astype(np.float32), nan=0.0), 0.0, 1.0)
    else:
        raise ImageError(f"unsupported pixel type {arr.dtype}", file=p)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    channels = pixels.shape[2]
    if channels == 1:
        mode = "L"
    elif channels == 3:
        mode, pixels = "RGB", pixels[..., ::-1]
    elif channels == 4:
        mode, pixels = "RGBA", pixels[..., [2, 1, 0, 3]]
    else:
        raise ImageError(f"unsupported channel count {channels}", file=p)
    orientation, frames = _exif_orientation(p)
    if frames > 1:
        warn_once(str(p), "frames", f"has {frames} frames (animated or multi-page); only the first is used")
    pixels = _apply_orientation(np.ascontiguousarray(pixels, dtype=np.float32), orientation)
    return Image(pixels, mode, depth, str(p))


def read_rgb01(path: str | Path) -> np.ndarray:
    """HWC RGB float32 [0,1]: gray becomes RGB, alpha is dropped."""
    return read_image(path).rgb


def encode_image(pixels: np.ndarray, ext: str, bit_depth: int = 8, *, quality: int = 95) -> bytes:
    """Encode HWC float [0,1] RGB/RGBA/gray pixels (or HxW gray) to bytes in format ``ext``."""
    ext = ext.lower() if ext.startswith(".") else "." + ext.lower()
    a = np.asarray(pixels, dtype=np.float32)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if bit_depth == 16 and ext not in _SIXTEEN_BIT_OK:
        bit_depth = 8
    peak, dtype = (65535.0, np.uint16) if bit_depth == 16 else (255.0, np.uint8)
    q = np.clip(np.rint(np.clip(a, 0.0, 1.0) * peak), 0, peak).astype(dtype)
    if q.ndim == 3 and q.shape[2] == 3:
        q = q[..., ::-1]
    elif q.ndim == 3 and q.shape[2] == 4:
        q = q[..., [2, 1, 0, 3]]
    params: list[int] = []
    if ext in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif ext == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    ok, buf = cv2.imencode(ext, np.ascontiguousarray(q), params)
    if not ok:
        raise ImageError(f"cannot encode image as {ext}", file=ext)
    return buf.tobytes()


def write_image(path: str | Path, pixels: np.ndarray, bit_depth: int = 8, *, quality: int = 95) -> None:
    """Write HWC float [0,1] pixels (RGB, RGBA or gray) atomically; the format follows the suffix.

    16-bit is kept for PNG and TIFF and reduced to 8-bit for other formats.
    """
    p = Path(path)
    if p.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ImageError(f"unsupported output extension {p.suffix!r}; use one of {', '.join(IMAGE_EXTENSIONS)}", file=p)
    atomic_write_bytes(p, encode_image(pixels, p.suffix, bit_depth, quality=quality))


def list_images(folder: str | Path, recursive: bool = True) -> list[Path]:
    """Image files under ``folder`` (by extension), sorted."""
    root = Path(folder)
    it: Iterable[Path] = root.rglob("*") if recursive else root.glob("*")
    return sorted(p for p in it if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def to_tensor01(hwc: np.ndarray):  # -> torch.Tensor
    """HWC float [0,1] numpy -> 1xCxHxW float32 tensor (same channel order)."""
    import torch

    a = hwc[..., None] if hwc.ndim == 2 else hwc
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))).float().unsqueeze(0)


def from_tensor01(nchw) -> np.ndarray:
    """1xCxHxW (or CxHxW) tensor -> HWC float32 numpy, clamped to [0,1]."""
    t = nchw.detach().float().clamp(0, 1).cpu()
    if t.ndim == 4:
        t = t[0]
    return np.ascontiguousarray(t.numpy().transpose(1, 2, 0))


def centre_box(h: int, w: int, max_size: int | None) -> tuple[int, int, int, int]:
    """``(top, left, height, width)`` of the centred window of at most ``max_size`` per side (None/0: all)."""
    th, tw = (min(h, max_size), min(w, max_size)) if max_size else (h, w)
    return (h - th) // 2, (w - tw) // 2, th, tw


def centre_crop(img: np.ndarray, max_size: int | None, multiple: int = 1) -> np.ndarray:
    """HWC ``img`` centre-cropped to at most ``max_size`` per side (None/0: whole image, :func:`centre_box`),
    then H and W cut to multiples of ``multiple`` at the bottom/right."""
    top, left, h, w = centre_box(img.shape[0], img.shape[1], max_size)
    img = img[top:top + h, left:left + w]
    return np.ascontiguousarray(img[: h - h % multiple, : w - w % multiple])
