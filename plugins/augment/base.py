"""Shared pieces of the pair augmentations: the ``prob`` gate, random draws, the pair's scale.

Every draw comes from the step's ``torch.Generator`` (on the batch's device), in a fixed order,
so an augmented step is reproducible from the generator alone and a resumed run stays bitwise
identical. An augmentation that is skipped (its ``prob`` draw failed) still made that one draw.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F

from esrgan_core.errors import DataError

Pair = dict[str, torch.Tensor]


def uniform(g: torch.Generator, low: float = 0.0, high: float = 1.0) -> float:
    """One draw of U(low, high)."""
    return low + (high - low) * float(torch.rand((), generator=g, device=g.device))


def normal(g: torch.Generator) -> float:
    """One draw of N(0, 1)."""
    return float(torch.randn((), generator=g, device=g.device))


def integer(g: torch.Generator, low: int, high: int) -> int:
    """One integer drawn uniformly from ``low .. high - 1``."""
    return int(torch.randint(low, high, (1,), generator=g, device=g.device))


def permutation(g: torch.Generator, n: int) -> torch.Tensor:
    """A random permutation of the batch indices (on the generator's device)."""
    return torch.randperm(n, generator=g, device=g.device)


def beta(g: torch.Generator, a: float, b: float, tries: int = 64) -> float:
    """One draw of Beta(a, b) by Joehnk's method (uniform draws only, so the generator drives it).

    X = U^(1/a), Y = V^(1/b); accept when X + Y <= 1 and return X / (X + Y). ``tries`` pairs are
    drawn at once, the first accepted one is used; all are drawn again if none is accepted.
    """
    while True:
        u = torch.rand(2, tries, generator=g, device=g.device, dtype=torch.float64)
        x, y = u[0] ** (1.0 / a), u[1] ** (1.0 / b)
        ok = (x + y <= 1) & (x + y > 0)
        if bool(ok.any()):
            i = int(ok.nonzero()[0, 0])
            return float(x[i] / (x[i] + y[i]))


def gate(g: torch.Generator, prob: float) -> bool:
    """True with probability ``prob`` (always one draw)."""
    return uniform(g) < prob


def pair_scale(pair: Mapping[str, torch.Tensor]) -> int:
    """The integer factor between ``gt`` and ``lq`` (both NCHW); a DataError if there is none."""
    lq, gt = pair["lq"], pair["gt"]
    (lh, lw), (gh, gw) = lq.shape[-2:], gt.shape[-2:]
    if lh == 0 or gh % lh or gw % lw or gh // lh != gw // lw or lq.shape[0] != gt.shape[0]:
        raise DataError(f"pair augmentation: gt {tuple(gt.shape)} is not an integer multiple of lq {tuple(lq.shape)}")
    return gh // lh


def lr_box(g: torch.Generator, h: int, w: int, ratio: float) -> tuple[int, int, int, int]:
    """A random box ``(top, left, height, width)`` of ``ratio`` times the LR size, inside it."""
    ratio = min(max(ratio, 0.0), 1.0)
    ch, cw = max(1, int(h * ratio)), max(1, int(w * ratio))
    return integer(g, 0, h - ch + 1), integer(g, 0, w - cw + 1), ch, cw


class PairAugmentation:
    """Base of the built-in augmentations: checks the pair, makes the ``prob`` draw, then
    :meth:`apply` (``pair``: the input, never written to; ``s``: the scale) returns the new pair.
    """

    def __init__(self, params: Any) -> None:
        self.params = params

    def apply(self, pair: Mapping[str, torch.Tensor], g: torch.Generator, s: int) -> Pair:
        raise NotImplementedError

    def __call__(self, pair: Mapping[str, torch.Tensor], g: torch.Generator) -> Pair:
        s = pair_scale(pair)
        if not gate(g, self.params.prob):
            return dict(pair)
        return self.apply(pair, g, s)


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize with anti-aliasing, clamped to [0, 1] (RGB float NCHW)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False).clamp_(0, 1)
