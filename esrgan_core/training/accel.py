"""The run's one Accelerator (device, processes, precision) and Accelerate's process state.

Device, process count and precision come from Accelerate (its config / ``accelerate launch``); the
run chooses mixed precision (one value for all stages) and each stage its gradient accumulation
(set on the same Accelerator when the stage starts). RNG syncing is off: every random choice in
training comes from explicit generators (:mod:`esrgan_core.seeding`).
"""

from __future__ import annotations

import torch
from accelerate import Accelerator, PartialState
from accelerate.utils import parse_flag_from_env

from esrgan_core.errors import ConfigError


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


def make_accelerator(mixed_precision: str) -> Accelerator:
    """The Accelerator of a run (``mixed_precision`` no/fp16/bf16), created once per run.

    Accelerate's state is per process: a second run in the same process must use the same precision
    (a ConfigError says so; the command line runs one config per process)."""
    try:
        return Accelerator(mixed_precision=mixed_precision, cpu=cpu_only(), rng_types=[], step_scheduler_with_optimizer=False)
    except ValueError as exc:
        if "already been initialized" not in str(exc):
            raise
        raise ConfigError(f"this process already trained with another mixed_precision than {mixed_precision!r}; "
                          "run this config in a new process", path="stages") from None
