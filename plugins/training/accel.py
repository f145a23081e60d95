"""Accelerator set-up for one training stage, and seeding.

Device, process count and precision come from Accelerate (its config / ``accelerate launch``);
the stage only chooses mixed precision and gradient accumulation. Stages run one after another in
one process, each with its own Accelerator, so Accelerate's shared state is reset in between (the
process group, if any, is kept).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch
from accelerate import Accelerator, PartialState
from accelerate.state import AcceleratorState, GradientState
from accelerate.utils import parse_flag_from_env


def cpu_only() -> bool:
    """True on a machine without an accelerator (or with ``ACCELERATE_USE_CPU=1``): Accelerate then
    runs several processes launched by torchrun as a gloo (MULTI_CPU) group."""
    if parse_flag_from_env("ACCELERATE_USE_CPU"):
        return True
    mps = getattr(torch.backends, "mps", None)
    xpu = getattr(torch, "xpu", None)
    return not (torch.cuda.is_available() or (mps is not None and mps.is_available())
                or (xpu is not None and xpu.is_available()))


def partial_state() -> PartialState:
    """Accelerate's process state (rank, world size), created consistently with :func:`make_accelerator`."""
    return PartialState(cpu=cpu_only())


def make_accelerator(mixed_precision: str, gradient_accumulation_steps: int) -> Accelerator:
    """A fresh Accelerator (``mixed_precision`` no/fp16/bf16). RNG syncing is off: every random
    choice in training comes from explicit seeds (see :mod:`.data`)."""
    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    return Accelerator(mixed_precision=mixed_precision, gradient_accumulation_steps=gradient_accumulation_steps,
                       cpu=cpu_only(), rng_types=[], step_scheduler_with_optimizer=False)


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, numpy and torch (network initialisation uses torch's global RNG); with
    ``deterministic`` also select deterministic algorithms."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
