"""Seeds and random generators: the one way randomness is derived in esrgan.

Every random choice draws from an explicit ``torch.Generator`` whose seed is :func:`mix_seed` of
the run's seed and the integers that say what it is for (stage, process, micro-step, epoch,
sample index). Nothing in library code seeds or reads the global RNGs of Python, numpy or torch;
code that cannot take a generator (a network's ``__init__``) runs under :func:`seeded_global`,
which forks torch's global RNG, seeds the fork and restores the caller's state afterwards.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import torch

MASK64 = 0xFFFFFFFFFFFFFFFF


def mix_seed(*parts: int) -> int:
    """A 63-bit seed from integers (splitmix64 chain); stable across runs, processes and platforms."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (int(p) & MASK64)) * 0xBF58476D1CE4E5B9 & MASK64
        x ^= x >> 31
        x = x * 0x94D049BB133111EB & MASK64
        x ^= x >> 29
    return x & 0x7FFFFFFFFFFFFFFF


def make_generator(*parts: int, device: torch.device | str | None = None) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` (default CPU) seeded with ``mix_seed(*parts)``."""
    g = torch.Generator(device=device) if device is not None else torch.Generator()
    return g.manual_seed(mix_seed(*parts))


@contextmanager
def seeded_global(*parts: int) -> Iterator[None]:
    """Run a block (e.g. building a network, whose init uses torch's global RNG) with torch's global
    CPU RNG seeded from ``mix_seed(*parts)``; the caller's RNG state is restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(mix_seed(*parts))
        yield


def set_deterministic(enabled: bool) -> None:
    """Select deterministic algorithms (bitwise-reproducible runs on CPU). Global torch settings, not RNG."""
    if not enabled:
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
