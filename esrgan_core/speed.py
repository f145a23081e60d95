"""Speed decisions made in one place: native bf16 on this CPU, channels_last / compile, memory budgets.

* :func:`native_bf16` decides from given facts (CPU flags, torch's CPU capability) whether the CPU
  executes bfloat16 natively (AVX512-BF16 or AMX-BF16); :func:`cpu_has_native_bf16` asks this
  machine. Without native support bf16 is emulated and slower than fp32, so ``precision: auto``
  uses it only where this says so.
* :func:`prepare_network` applies the ``channels_last`` and ``compile`` options to a network in
  place (``nn.Module.compile`` keeps the state-dict keys, so checkpoints are unchanged).
* :func:`memory_budget` and :func:`activation_bytes_per_pixel` size ``tile: auto``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Iterable

import torch
from torch import nn

NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
CPU_RAM_FRACTION = 0.5  # tile: auto on the CPU may use this share of the available RAM
CUDA_FREE_FRACTION = 0.8  # ... and on CUDA this share of the free device memory
ACTIVATION_SAFETY = 2.0  # tensors kept alive beside the largest layer (skips, dense concatenations)


def native_bf16(flags: Iterable[str], capability: str = "") -> bool:
    """True when the CPU has a bf16 instruction set: a ``/proc/cpuinfo`` flag ``avx512_bf16`` or
    ``amx_bf16``, or a torch CPU capability naming AMX or BF16 (``torch.backends.cpu.get_cpu_capability()``;
    plain ``AVX512`` / ``AVX2`` say nothing about bf16)."""
    cap = capability.upper()
    return bool(NATIVE_BF16_FLAGS & {f.lower() for f in flags}) or "AMX" in cap or "BF16" in cap


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags (``flags`` lines of ``/proc/cpuinfo``); empty where there is no such file."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    return frozenset(f for line in text.splitlines() if line.startswith("flags") for f in line.split(":", 1)[1].split())


@functools.cache
def cpu_has_native_bf16() -> bool:
    """:func:`native_bf16` for this machine (``ESRGAN_CPU_BF16=0/1`` overrides the detection)."""
    forced = os.environ.get("ESRGAN_CPU_BF16")
    if forced in ("0", "1"):
        return forced == "1"
    return native_bf16(cpu_flags(), torch.backends.cpu.get_cpu_capability())


def prepare_network(net: nn.Module, *, channels_last: bool = False, compile: bool = False) -> nn.Module:
    """Convert ``net`` to channels_last and/or compile its forward with ``torch.compile`` (in place)."""
    if channels_last:
        net.to(memory_format=torch.channels_last)
    if compile:
        net.compile()
    return net


def memory_budget(device: torch.device) -> int:
    """Bytes ``tile: auto`` may spend on activations: ``CUDA_FREE_FRACTION`` of the free memory on
    CUDA, ``CPU_RAM_FRACTION`` of ``MemAvailable`` on the CPU (4 GiB when that cannot be read)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * CUDA_FREE_FRACTION)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(int(line.split()[1]) * 1024 * CPU_RAM_FRACTION)
    except OSError:
        pass
    return 4 * 2**30


@torch.no_grad()
def activation_bytes_per_pixel(net: nn.Module, device: torch.device, dtype: torch.dtype, *, probe: int = 32,
                               channels: int = 3) -> float:
    """Estimated inference memory per input pixel: the largest input + output of any leaf layer on a
    ``probe`` x ``probe`` input, times ``ACTIVATION_SAFETY``, divided by the probe's pixels."""
    peak = [0]

    def hook(module: nn.Module, args: tuple, out: object) -> None:
        size = sum(t.numel() * t.element_size() for t in (*args, out) if isinstance(t, torch.Tensor))
        peak[0] = max(peak[0], size)

    leaves = [m for m in net.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        net(torch.zeros(1, channels, probe, probe, device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
    return ACTIVATION_SAFETY * peak[0] / probe**2
