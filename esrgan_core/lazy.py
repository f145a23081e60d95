"""Lazy references for plugin registrations: import the implementing module only when called.

``register("upscale", lazy("esrgan_plugins.upscale.command:handler"), ...)`` keeps
``esrgan-run plugins`` and config validation fast: heavy modules load when a task really runs.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy(target: str) -> Callable[..., Any]:
    """A function that imports ``module:attribute`` on first call and forwards the call to it."""
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise ValueError(f"lazy target must be 'module:attribute', got {target!r}")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    call.__name__ = attr
    call.__qualname__ = f"lazy({target})"
    return call
