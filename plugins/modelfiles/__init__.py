"""The ``convert`` command (built-in plugin ``modelfiles``); the model-file service itself is the
core's :mod:`esrgan_core.modelfiles` (load, describe, fit, write).

Importing this package is light; torch-heavy modules load when used.
"""

from __future__ import annotations

from typing import Callable

from esrgan_core.hookspecs import hookimpl


@hookimpl
def register_commands(register: Callable[..., None]) -> None:
    from esrgan_plugins.modelfiles.convert import configure, handle

    register("convert", configure, handle,
             help="convert a model between .pth (Real-ESRGAN), .safetensors and ncnn .param (input only)")
