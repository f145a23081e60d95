"""Optimizers (Adam, AdamW) and learning-rate schedules (multistep, cosine with warm-up, constant).

Schedules are ``LambdaLR`` factors of the iteration count, stepped once per completed iteration
(one optimizer update), never per micro-batch or per process. Stepping after iteration ``i`` makes
the LR of iteration ``i + 1`` equal to ``schedule(i)``: exactly BasicSR's order (``update_lr`` at
the start of iteration ``i`` with ``scheduler.step()`` only when ``i > 1``, so ``last_epoch = i-1``).
With the official milestone equal to ``total_iter`` the halving therefore never happens.
"""

from __future__ import annotations

import math
from typing import Iterable, Literal

import attrs
import torch

from esrgan_core.errors import ParamError
from esrgan_core.schema import param


@attrs.frozen
class OptimParams:
    """``optim_g`` / ``optim_d``."""

    type: Literal["Adam", "AdamW"] = param("Adam", help="optimizer: Adam or AdamW")
    lr: float = param(1e-4, gt=0, help="learning rate")
    betas: tuple[float, float] = param((0.9, 0.99), ge=0, lt=1, help="Adam betas")
    weight_decay: float = param(0.0, ge=0, help="weight decay (decoupled for AdamW)")
    eps: float = param(1e-8, gt=0, help="Adam epsilon")


@attrs.frozen
class SchedulerParams:
    """``scheduler``: the LR factor as a function of the iteration."""

    type: Literal["multistep", "cosine", "constant"] = param("multistep", help="multistep | cosine | constant")
    milestones: tuple[int, ...] = param((), ge=1, help="multistep: iterations after which the LR is multiplied by gamma")
    gamma: float = param(0.5, gt=0, help="multistep: LR factor at each milestone")
    warmup_iter: int = param(0, ge=0, help="linear warm-up over this many iterations (0: none)")
    eta_min: float = param(0.0, ge=0, help="cosine: final LR as a fraction of the initial LR")

    def validate(self) -> None:
        if list(self.milestones) != sorted(self.milestones):
            raise ParamError("milestones", "must be increasing")


def build_optimizer(params: Iterable[torch.nn.Parameter], opt: OptimParams) -> torch.optim.Optimizer:
    """The configured optimizer over ``params`` (only those that require gradients)."""
    trainable = [p for p in params if p.requires_grad]
    cls = torch.optim.AdamW if opt.type == "AdamW" else torch.optim.Adam
    return cls(trainable, lr=opt.lr, betas=opt.betas, weight_decay=opt.weight_decay, eps=opt.eps)


def lr_factor(step: int, sched: SchedulerParams, total_iter: int) -> float:
    """The LR multiplier after ``step`` completed iterations."""
    if sched.warmup_iter and step < sched.warmup_iter:
        return (step + 1) / sched.warmup_iter
    if sched.type == "multistep":
        return sched.gamma ** sum(1 for m in sched.milestones if step >= m)
    if sched.type == "cosine":
        span = max(1, total_iter - sched.warmup_iter)
        t = min(1.0, (step - sched.warmup_iter) / span)
        return sched.eta_min + (1 - sched.eta_min) * 0.5 * (1 + math.cos(math.pi * t))
    return 1.0


def build_scheduler(optimizer: torch.optim.Optimizer, sched: SchedulerParams, total_iter: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` following :func:`lr_factor`; step it once per iteration."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, sched, total_iter))
