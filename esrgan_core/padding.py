"""Reflect padding, the one place for it: reflect-101 positions, padding on every side, padding
on the bottom/right up to a size, and padding to a size multiple (with a crop back).

Reflect-101 is OpenCV's BORDER_REFLECT_101 and torch's ``mode="reflect"``: the edge pixel is not
repeated (``c b | a b c | b a``). :func:`reflect_index` defines the positions for any pad, folding
again when the pad is as large as the image (where ``F.pad`` refuses); every pad here that must
work for any size uses it, on tensors (the degradation filters, the preview) and on HWC numpy
images (the datasets).

Networks that need their input size to be a multiple of some factor (pixel-unshuffle, a U-Net's
three stride-2 levels) pad with :func:`pad_to_multiple` instead of asserting, the way spandrel
does: reflect padding as far as the image allows, then edge replication for the rest. Codec-like
stages edge-replicate to a multiple (:func:`replicate_to_multiple`).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def reflect_index(n: int, before: int, after: int) -> np.ndarray:
    """Source positions (int64, length ``before + n + after``) of a reflect-101 pad of an axis of length ``n``.

    Positions fold with period ``2 (n - 1)``, so any pad works; an axis of length 1 repeats its pixel.
    """
    idx = np.arange(-before, n + after, dtype=np.int64)
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    idx = np.remainder(idx, period)
    return np.where(idx >= n, period - idx, idx)


def _index_pad(x: torch.Tensor, rows: tuple[int, int], cols: tuple[int, int]) -> torch.Tensor:
    h, w = x.shape[-2:]
    x = x.index_select(-2, torch.from_numpy(reflect_index(h, *rows)).to(x.device))
    return x.index_select(-1, torch.from_numpy(reflect_index(w, *cols)).to(x.device))


def reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Reflect-101 pad the last two dims of ``x`` by ``pad`` on every side (any pad >= 0)."""
    if pad == 0:
        return x
    h, w = x.shape[-2:]
    if pad < h and pad < w:
        return F.pad(x, (pad, pad, pad, pad), mode="reflect")
    return _index_pad(x, (pad, pad), (pad, pad))


def reflect_pad_to(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Reflect-101 pad the last two dims of ``x`` at the bottom/right up to at least ``height`` x ``width``."""
    ph, pw = max(height - x.shape[-2], 0), max(width - x.shape[-1], 0)
    if not ph and not pw:
        return x
    return _index_pad(x, (0, ph), (0, pw))


def reflect_pad_hwc(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """:func:`reflect_pad_to` for an HWC numpy image (the same positions); returns ``img`` when big enough."""
    h, w = img.shape[:2]
    ph, pw = max(height - h, 0), max(width - w, 0)
    if not ph and not pw:
        return img
    return img[reflect_index(h, 0, ph)][:, reflect_index(w, 0, pw)]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad NCHW ``x`` on the right/bottom so H and W become multiples of ``multiple``.

    Returns ``x`` itself when nothing is needed.
    """
    h, w = x.shape[-2:]
    return pad_right_bottom(x, (-h) % multiple, (-w) % multiple)


def replicate_to_multiple(x: torch.Tensor, mh: int, mw: int) -> torch.Tensor:
    """Edge-replicate NCHW ``x`` at the bottom/right so H and W become multiples of ``mh`` and ``mw``
    (what chroma subsampling and 4:2:0 encoders do); returns ``x`` itself when nothing is needed."""
    ph, pw = (-x.shape[-2]) % mh, (-x.shape[-1]) % mw
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def pad_right_bottom(x: torch.Tensor, pad_h: int, pad_w: int) -> torch.Tensor:
    """Pad NCHW ``x`` by ``pad_h`` rows at the bottom and ``pad_w`` columns at the right.

    Reflect padding is used up to ``size - 1`` pixels (its limit), edge replication beyond that.
    """
    if not pad_h and not pad_w:
        return x
    h, w = x.shape[-2:]
    reflect_h, reflect_w = min(pad_h, h - 1), min(pad_w, w - 1)
    if reflect_h or reflect_w:
        x = F.pad(x, (0, reflect_w, 0, reflect_h), mode="reflect")
    rest_h, rest_w = pad_h - reflect_h, pad_w - reflect_w
    if rest_h or rest_w:
        x = F.pad(x, (0, rest_w, 0, rest_h), mode="replicate")
    return x


def crop_to(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The top-left ``height`` x ``width`` of NCHW ``x`` (no copy when already that size)."""
    if x.shape[-2] == height and x.shape[-1] == width:
        return x
    return x[..., :height, :width]
