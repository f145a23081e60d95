"""Small helpers shared by the stages of this plugin: apply to the drawn samples only, 8-bit round trips."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch


def apply_to(x: torch.Tensor, on: torch.Tensor, fn: Callable[[torch.Tensor, list[int]], torch.Tensor]) -> torch.Tensor:
    """``fn(x[idx], idx)`` for the samples where ``on`` is set; the others pass unchanged."""
    idx = on.nonzero().flatten().tolist()
    if not idx:
        return x
    if len(idx) == x.shape[0]:
        return fn(x, idx)
    rows = torch.tensor(idx, dtype=torch.long, device=x.device)
    return x.index_copy(0, rows, fn(x.index_select(0, rows), idx).to(x.dtype))


def rows_of(on: torch.Tensor, drawn: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The record rows: what was drawn for applied samples, ``{"applied": False}`` for the others."""
    return [dict(d) if o else {"applied": False} for o, d in zip(on.tolist(), drawn)]


def to_u8(x: torch.Tensor) -> np.ndarray:
    """RGB float [0,1] NCHW -> (N, H, W, 3) uint8 (clamped, rounded half-to-even)."""
    return (x.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def from_u8(images: Sequence[np.ndarray], like: torch.Tensor) -> torch.Tensor:
    """HWC RGB uint8 images of one size -> RGB float [0,1] NCHW with ``like``'s dtype and device."""
    t = torch.from_numpy(np.ascontiguousarray(np.stack(list(images)))).permute(0, 3, 1, 2)
    return t.to(dtype=like.dtype).div(255).to(like.device)
