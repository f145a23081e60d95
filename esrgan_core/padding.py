"""Pad a batch on the right and bottom to a size multiple, and crop a result back.

Networks that need their input size to be a multiple of some factor (pixel-unshuffle, a U-Net's
three stride-2 levels) pad with these instead of asserting, the way spandrel does: reflect
padding as far as the image allows, then edge replication for the rest.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad NCHW ``x`` on the right/bottom so H and W become multiples of ``multiple``.

    Returns ``x`` itself when nothing is needed.
    """
    h, w = x.shape[-2:]
    return pad_right_bottom(x, (-h) % multiple, (-w) % multiple)


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
