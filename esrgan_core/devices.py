"""Device names from configs and command lines (``auto``, ``cpu``, ``cuda:1``, ...)."""

from __future__ import annotations

import torch

from esrgan_core.errors import ConfigError


def resolve_device(name: str, *, path: str = "device") -> torch.device:
    """``auto`` -> cuda when available, else cpu; anything else as torch names it. ConfigError at
    ``path`` when torch does not know the name or the machine lacks the CUDA device asked for."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {name!r}: {exc}", path=path) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{name!r} requested but CUDA is not available on this machine; use cpu or auto", path=path)
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ConfigError(f"{name!r} requested but this machine has {torch.cuda.device_count()} CUDA device(s)", path=path)
    return dev
