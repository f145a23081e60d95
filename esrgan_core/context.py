"""What a running task gets besides its params: the plugin host, the config, run flags."""

from __future__ import annotations

from typing import Any

import attrs

from esrgan_core.config import Config
from esrgan_core.plugins import PluginHost
from esrgan_core.preflight import preflight
from esrgan_core.registry import Registries
from esrgan_core.values import ComponentSpec


@attrs.frozen
class RunContext:
    """Handed to task factories: ``factory(params, context)``."""

    host: PluginHost
    config: Config
    debug: bool = False
    fresh: bool = False

    @property
    def registries(self) -> Registries:
        return self.host.registries

    @property
    def hook(self) -> Any:
        return self.host.hook

    def build(self, spec: ComponentSpec, *args: Any, **kwargs: Any) -> Any:
        """Build a component from a validated spec through its registry."""
        return spec.build(self.host.registries, *args, **kwargs)


def run_config(config: Config, host: PluginHost, *, debug: bool = False, fresh: bool = False) -> int:
    """Run a validated config's task; return its exit code."""
    entry = host.registries["tasks"].get(config.task, path="task")
    preflight(config, host)  # before anything is written
    ctx = RunContext(host, config, debug=debug, fresh=fresh)
    result = entry.factory(config.params, ctx) if entry.params is not None else entry.factory(ctx)
    return int(result or 0)
