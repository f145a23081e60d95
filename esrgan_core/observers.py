"""Observer hooks called one implementation at a time, so a failure names its plugin.

``ObserverHooks(host.hook).on_iteration_end(trainer=..., ...)`` calls every implementation the
way pluggy would (last registered first) but turns an exception into :class:`ObserverError`
naming the plugin and the hook. The caller decides what to save before stopping. The training loop
passes its :class:`~esrgan_core.training.view.RunView` as ``trainer`` (the documented hook
argument name; see :class:`esrgan_core.hookspecs.TrainingRun`), never itself.
"""

from __future__ import annotations

from typing import Any, Callable

from esrgan_core.errors import EsrganError, ObserverError, short_message


class ObserverHooks:
    """A view of ``hook`` (pluggy's ``pm.hook``) whose calls report the failing plugin."""

    def __init__(self, hook: Any) -> None:
        self._hook = hook

    def __getattr__(self, name: str) -> Callable[..., None]:
        caller = getattr(self._hook, name)

        def call(**kwargs: Any) -> None:
            for impl in reversed(caller.get_hookimpls()):
                args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
                try:
                    impl.function(**args)
                except (KeyboardInterrupt, ObserverError):
                    raise
                except EsrganError as exc:
                    raise ObserverError(f"{name} failed: {exc}", plugin=impl.plugin_name) from exc
                except Exception as exc:
                    raise ObserverError(f"{name} raised {type(exc).__name__}: {short_message(str(exc), 200)}",
                                        plugin=impl.plugin_name) from exc

        return call
