"""Cross-field checks shared by the stage params classes (raise ParamError(key, message))."""

from __future__ import annotations

import math
from typing import Sequence

from esrgan_core.errors import ParamError

PROB_TOLERANCE = 1e-6


def check_range(key: str, value: Sequence[float]) -> None:
    """A [lo, hi] pair with lo <= hi."""
    if value[0] > value[1]:
        raise ParamError(key, f"lower bound {value[0]} exceeds upper bound {value[1]}")


def check_probs(key: str, probs: Sequence[float], count: int | None = None, what: str = "") -> None:
    """Probabilities in [0,1] summing to 1 (and ``count`` of them, one per ``what``)."""
    if count is not None and len(probs) != count:
        raise ParamError(key, f"expected {count} probabilities (one per {what}), got {len(probs)}")
    if any(p < 0 or p > 1 for p in probs):
        raise ParamError(key, f"probabilities must lie in [0, 1], got {list(probs)}")
    total = math.fsum(probs)
    if abs(total - 1.0) > PROB_TOLERANCE:
        raise ParamError(key, f"probabilities must sum to 1, got {list(probs)} (sum {total:g})")


def check_odd_range(key: str, value: Sequence[int]) -> None:
    """Kernel sizes: odd, >= 1, lo <= hi."""
    for v in value:
        if v < 1 or v % 2 == 0:
            raise ParamError(key, f"kernel sizes must be odd and positive, got {v}")
    check_range(key, value)


def check_unique(key: str, values: Sequence[str]) -> None:
    if len(set(values)) != len(values):
        raise ParamError(key, f"entries must be unique, got {list(values)}")
