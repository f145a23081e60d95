"""Random draws for stages, all from an explicit ``torch.Generator``.

Values are drawn on the generator's device (so a CPU generator gives the same numbers whatever
device the images are on) and returned on ``device``. With ``per_batch=True`` one value is drawn
and repeated for every sample (the reference's once-per-batch decisions).
"""

from __future__ import annotations

from typing import Sequence

import torch


def _n(n: int, per_batch: bool) -> int:
    return 1 if per_batch else n


def _expand(t: torch.Tensor, n: int, device: torch.device | None) -> torch.Tensor:
    if t.shape[0] != n:
        t = t.expand(n).clone()
    return t.to(device) if device is not None else t


def rand(gen: torch.Generator, n: int, *, per_batch: bool = False, device: torch.device | None = None) -> torch.Tensor:
    """U[0,1) float64, shape (n,)."""
    t = torch.rand(_n(n, per_batch), generator=gen, device=gen.device, dtype=torch.float64)
    return _expand(t, n, device)


def uniform(gen: torch.Generator, n: int, lo: float, hi: float, *, per_batch: bool = False,
            device: torch.device | None = None) -> torch.Tensor:
    """U[lo,hi] float64, shape (n,)."""
    return lo + (hi - lo) * rand(gen, n, per_batch=per_batch, device=device)


def bernoulli(gen: torch.Generator, n: int, p: float, *, per_batch: bool = False,
              device: torch.device | None = None) -> torch.Tensor:
    """Bool tensor (n,): True with probability ``p``."""
    return rand(gen, n, per_batch=per_batch, device=device) < p


def choice(gen: torch.Generator, n: int, probs: Sequence[float], *, per_batch: bool = False,
           device: torch.device | None = None) -> torch.Tensor:
    """Indices into ``probs`` (int64, shape (n,)), each drawn with its probability."""
    cum = torch.tensor(list(probs), dtype=torch.float64, device=gen.device).cumsum(0)
    u = torch.rand(_n(n, per_batch), generator=gen, device=gen.device, dtype=torch.float64) * cum[-1]
    idx = torch.searchsorted(cum, u, right=True).clamp_(max=len(probs) - 1)
    return _expand(idx, n, device)


def odd_sizes(gen: torch.Generator, n: int, lo: int, hi: int, *, device: torch.device | None = None) -> torch.Tensor:
    """Odd kernel sizes drawn uniformly from lo, lo+2, ..., hi (int64, shape (n,))."""
    count = (hi - lo) // 2 + 1
    k = torch.randint(0, count, (n,), generator=gen, device=gen.device)
    return _expand(lo + 2 * k, n, device)


def beta_values(gen: torch.Generator, n: int, lo: float, hi: float, *, device: torch.device | None = None) -> torch.Tensor:
    """Shape parameter as the reference draws it: half the time U[lo,1], else U[1,hi]."""
    low = rand(gen, n, device=device) < 0.5
    u = rand(gen, n, device=device)
    return torch.where(low, lo + (1.0 - lo) * u, 1.0 + (hi - 1.0) * u)


def randn_like(gen: torch.Generator, shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise of ``shape`` with ``like``'s dtype and device."""
    t = torch.randn(tuple(shape), generator=gen, device=gen.device, dtype=like.dtype)
    return t.to(like.device)
