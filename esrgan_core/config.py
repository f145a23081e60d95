"""Load a config file: YAML -> overrides -> plugins -> the task's params class (frozen attrs).

The top level of every config has ``task:`` (default ``train``) and ``plugins:`` (extra modules
to load); every other key belongs to the task and is validated by the task's params class.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable, Sequence

import attrs

from esrgan_core.errors import ConfigError
from esrgan_core.overrides import apply_overrides
from esrgan_core.plugins import PluginHost, failed_plugins_note, load_plugins
from esrgan_core.schema import from_dict
from esrgan_core.yamlio import line_for, read_yaml

DEFAULT_TASK = "train"


@attrs.frozen
class Config:
    """A validated config: the task name, its params, and where it came from."""

    task: str
    params: Any
    plugins: tuple[str, ...] = ()
    file: Path | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    lines: dict[str, int] = attrs.field(factory=dict, eq=False, repr=False)  # key path -> line in ``file``
    touched: frozenset[str] = attrs.field(default=frozenset(), eq=False, repr=False)  # key paths set by --set


def _plugins_list(data: dict[str, Any]) -> tuple[str, ...]:
    plugins = data.get("plugins") or []
    if isinstance(plugins, str):
        plugins = [plugins]
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise ConfigError("expected a list of module names", path="plugins")
    return tuple(plugins)


def build_config(
    data: Any,
    *,
    file: str | Path | None = None,
    lines: dict[str, int] | None = None,
    overrides: Sequence[str] = (),
    host_factory: Callable[[Sequence[str]], PluginHost] = load_plugins,
) -> tuple[Config, PluginHost]:
    """Validate already-parsed data. Returns the config and the plugin host it was checked with."""
    lines = lines or {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level of a config must be a mapping", file=file)
    data, touched = apply_overrides(copy.deepcopy(data), list(overrides))
    try:
        plugins = _plugins_list(data)
        host = host_factory(plugins)
        converted = host.hook.convert_foreign_config(data=data, file=str(file or ""))
        if converted is not None:
            data, lines = converted, {}
        task = data.get("task", DEFAULT_TASK)
        if not isinstance(task, str):
            raise ConfigError("expected a task name (string)", path="task")
        try:
            entry = host.registries["tasks"].get(task, path="task")
        except ConfigError as exc:
            raise ConfigError(exc.message + failed_plugins_note(host), path="task") from None
        body = {k: v for k, v in data.items() if k not in ("task", "plugins")}
        params = from_dict(entry.params, body, registries=host.registries) if entry.params else None
    except ConfigError as exc:
        raise _locate(exc, file, lines, touched) from None
    return Config(task, params, plugins, Path(file) if file else None, data, lines, frozenset(touched)), host


def _locate(exc: ConfigError, file: str | Path | None, lines: dict[str, int], touched: set[str]) -> ConfigError:
    if exc.file:
        return exc
    for t in touched:
        if exc.path == t or exc.path.startswith(t + ".") or exc.path.startswith(t + "["):
            return exc.located(file="--set", line=None)
    return exc.located(file=file, line=line_for(exc.path, lines) if exc.path else None)


def load_config(
    path: str | Path,
    *,
    overrides: Sequence[str] = (),
    host_factory: Callable[[Sequence[str]], PluginHost] = load_plugins,
) -> tuple[Config, PluginHost]:
    """Read, override and validate a config file."""
    data, lines = read_yaml(path)
    return build_config(data, file=path, lines=lines, overrides=overrides, host_factory=host_factory)
