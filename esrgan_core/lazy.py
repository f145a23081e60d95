"""Lazy references for plugin registrations: import the implementing module only when called.

``register("upscale", lazy("esrgan_plugins.upscale.command:handler"), ...)`` keeps
``esrgan-run plugins`` and config validation fast: heavy modules load when a task really runs.

The one way a plugin defers an import. Its registration module imports at the top what
``register`` needs now (params classes, light factories); a factory, task or command handler
whose module is heavy is registered as ``lazy("module:attribute")``, never as a wrapper function
with an import inside it, and hook implementations contain no imports. (A lazy factory is a plain
function, so the class checks of :data:`esrgan_core.contracts.REQUIRED` wait until it is built,
and it cannot carry a network's ``describe``/``detect``: register networks directly.)
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
