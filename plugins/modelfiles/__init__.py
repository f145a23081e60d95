"""The ``convert`` command (built-in plugin ``modelfiles``); the model-file service itself is the
core's :mod:`esrgan_core.modelfiles` (load, describe, fit, write).

Importing this package is light; torch-heavy modules load when used.
"""

from __future__ import annotations

from typing import Callable

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy


@hookimpl
def register_commands(register: Callable[..., None]) -> None:
    register("convert", lazy("esrgan_plugins.modelfiles.convert:configure"), lazy("esrgan_plugins.modelfiles.convert:handle"),
             help="convert a model between .pth (Real-ESRGAN), .safetensors and ncnn .param (input only)")
