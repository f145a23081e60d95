"""Plugin manager: loads built-in and third-party plugins through the ``esrgan`` entry-point group.

Built-in plugins (distribution ``esrgan``) take exactly the same path as third-party ones. The
environment variable ``ESRGAN_PLUGINS`` (comma-separated entry-point or distribution names)
restricts which third-party plugins load; set it to an empty string to load none. When
``ESRGAN_TEST`` is set (the test-suite sets it) and ``ESRGAN_PLUGINS`` is not, no third-party
plugin loads: installed plugins cannot leak into the tests. A config's ``plugins:`` list names
extra modules to import and register for that run.

:func:`load_plugins` builds a host once per process and returns it again for the same request;
tests get a fresh host with a throwaway plugin from ``load_plugins(extra_plugins=[(name, obj)])``.
"""

from __future__ import annotations

import importlib
import os
from importlib import metadata
from typing import Any, Callable, Iterable, Sequence

import attrs
import pluggy

from esrgan_core import hookspecs
from esrgan_core.contracts import CONTRACTS, REQUIRED, missing_attributes
from esrgan_core.errors import PluginError
from esrgan_core.registry import KINDS, Entry, Registries

ENTRY_POINT_GROUP = "esrgan"
ENV_VAR = "ESRGAN_PLUGINS"
TEST_ENV_VAR = "ESRGAN_TEST"
BUILTIN_DIST = "esrgan"


@attrs.define
class PluginInfo:
    """What ``esrgan-run plugins`` shows for one plugin."""

    name: str
    dist: str
    version: str
    module: str
    status: str  # "loaded" | "failed" | "disabled"
    builtin: bool
    error: str = ""
    hooks: list[str] = attrs.Factory(list)
    provides: dict[str, list[str]] = attrs.Factory(dict)


@attrs.frozen
class Command:
    """A CLI sub-command contributed by a plugin."""

    name: str
    configure: Callable[[Any], None]
    handler: Callable[[Any], int | None]
    help: str
    plugin: str


class PluginHost:
    """The loaded plugins, their registries and their CLI commands."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.registries = Registries()
        self.commands: dict[str, Command] = {}
        self.infos: list[PluginInfo] = []

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def failed(self) -> list[PluginInfo]:
        return [i for i in self.infos if i.status == "failed"]

    def register_plugin(self, obj: object, info: PluginInfo) -> None:
        try:
            self.pm.register(obj, name=info.name)
        except ValueError as exc:  # name already used
            raise PluginError(str(exc), plugin=info.name, dist=info.dist) from exc
        self.infos.append(info)

    def collect(self) -> None:
        """Validate hook implementations, then run every registration hook."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.pm.get_name(exc.plugin) or ""
            raise PluginError(f"unknown hook implementation: {exc}", plugin=name) from exc
        by_name = {i.name: i for i in self.infos}
        for kind in KINDS:
            for impl in getattr(self.pm.hook, f"register_{kind}").get_hookimpls():
                self._call_register(kind, impl, by_name.get(impl.plugin_name))
        for impl in self.pm.hook.register_commands.get_hookimpls():
            self._call_commands(impl, by_name.get(impl.plugin_name))
        for info in self.infos:
            info.hooks = sorted(
                c.name for c in self.pm.get_hookcallers(self.pm.get_plugin(info.name)) or []
            ) if info.status == "loaded" else []
            info.provides = self.registries.provided_by(info.name)
            cmds = [c.name for c in self.commands.values() if c.plugin == info.name]
            if cmds:
                info.provides["commands"] = sorted(cmds)

    def _call_register(self, kind: str, impl: Any, info: PluginInfo | None) -> None:
        plugin = impl.plugin_name
        registry = self.registries[kind]

        def register(name: str, factory: Callable[..., Any], params: type | None = None, *, help: str = "") -> None:
            check_registration(kind, name, factory, params, plugin)
            registry.add(Entry(kind, name, factory, params, help, plugin))

        _guarded(impl, register, info)

    def _call_commands(self, impl: Any, info: PluginInfo | None) -> None:
        plugin = impl.plugin_name

        def register(name: str, configure: Callable[[Any], None], handler: Callable[[Any], int | None], *, help: str = "") -> None:
            old = self.commands.get(name)
            if old is not None:
                raise PluginError(
                    f"command {name!r} is registered by both plugin {old.plugin!r} and plugin {plugin!r}",
                    plugin=plugin,
                )
            self.commands[name] = Command(name, configure, handler, help, plugin)

        _guarded(impl, register, info)


def check_registration(kind: str, name: Any, factory: Any, params: Any, plugin: str) -> None:
    """What ``register`` checks before accepting a component (PluginError naming the plugin):
    a non-empty name, a callable factory, an attrs params class (or None), and the class
    attributes its contract requires (:data:`esrgan_core.contracts.REQUIRED`) when the factory
    is a class."""
    if not isinstance(name, str) or not name:
        raise PluginError(f"register_{kind}: name must be a non-empty string, got {name!r}", plugin=plugin)
    if not callable(factory):
        raise PluginError(f"register_{kind}({name!r}): factory must be callable, got {type(factory).__name__}",
                          plugin=plugin)
    if params is not None and not (isinstance(params, type) and attrs.has(params)):
        raise PluginError(f"register_{kind}({name!r}): params must be an attrs class (made with @attrs.frozen and "
                          f"esrgan_core.schema.param fields) or None, got {params!r}", plugin=plugin)
    if isinstance(factory, type):
        missing = missing_attributes(factory, REQUIRED.get(kind, ()))
        if missing:
            raise PluginError(f"register_{kind}({name!r}): {factory.__name__} lacks {', '.join(missing)} required by "
                              f"esrgan_core.contracts.{CONTRACTS[kind].__name__}", plugin=plugin)


def _guarded(impl: Any, register: Callable[..., None], info: PluginInfo | None) -> None:
    """Run one registration hook; a plugin that raises (other than a PluginError) is reported."""
    try:
        impl.function(register=register)
    except PluginError:
        raise
    except Exception as exc:
        dist = info.dist if info else ""
        raise PluginError(f"registration failed: {type(exc).__name__}: {exc}", plugin=impl.plugin_name, dist=dist) from exc


def _allowed_third_party() -> set[str] | None:
    """Names of the third-party plugins allowed to load (None: all of them)."""
    raw = os.environ.get(ENV_VAR)
    if raw is None:
        return set() if os.environ.get(TEST_ENV_VAR) else None
    return {p.strip() for p in raw.split(",") if p.strip()}


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def _dist_of(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "", ""
    return dist.metadata["Name"] or "", dist.version or ""


_HOSTS: dict[tuple[Any, ...], PluginHost] = {}


def load_plugins(
    extra_modules: Sequence[str] = (),
    extra_plugins: Sequence[tuple[str, object]] = (),
    *,
    fresh: bool = False,
) -> PluginHost:
    """The :class:`PluginHost` of every installed plugin (see the module docstring for which load).

    ``extra_modules`` are module names to import (a config's ``plugins:``); a module that cannot
    be imported raises PluginError. The host is built once per process for each set of
    ``extra_modules`` (and value of ``ESRGAN_PLUGINS``/``ESRGAN_TEST``) and shared: treat it as
    read-only. ``extra_plugins`` are ``(name, object)`` pairs registered directly (tests use this
    for throwaway plugins); with them, or with ``fresh=True``, a new host is built and not kept.
    """
    if extra_plugins or fresh:
        return _new_host(extra_modules, extra_plugins)
    key = (tuple(extra_modules), os.environ.get(ENV_VAR), os.environ.get(TEST_ENV_VAR))
    host = _HOSTS.get(key)
    if host is None:
        host = _HOSTS[key] = _new_host(extra_modules, ())
    return host


def forget_hosts() -> None:
    """Drop the hosts :func:`load_plugins` keeps (the next call loads the plugins again)."""
    _HOSTS.clear()


def _new_host(extra_modules: Sequence[str], extra_plugins: Sequence[tuple[str, object]]) -> PluginHost:
    host = PluginHost()
    allowed = _allowed_third_party()
    seen: set[str] = set()
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        if ep.name in seen:
            continue
        seen.add(ep.name)
        dist, version = _dist_of(ep)
        builtin = dist.lower() == BUILTIN_DIST
        info = PluginInfo(ep.name, dist, version, ep.value, "loaded", builtin)
        if not builtin and allowed is not None and not ({ep.name, dist} & allowed):
            info.status = "disabled"
            host.infos.append(info)
            continue
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin must not take the CLI down
            info.status = "failed"
            info.error = f"{type(exc).__name__}: {exc}"
            host.infos.append(info)
            continue
        host.register_plugin(module, info)
    for name in extra_modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise PluginError(f"cannot import module: {type(exc).__name__}: {exc}", plugin=name) from exc
        if host.pm.is_registered(module):
            continue
        host.register_plugin(module, PluginInfo(name, "", "", name, "loaded", False))
    for name, obj in extra_plugins:
        host.register_plugin(obj, PluginInfo(name, "", "", repr(obj), "loaded", False))
    host.collect()
    return host


def failed_plugins_note(host: PluginHost) -> str:
    """A hint for unknown-name errors when some plugin failed to load."""
    failed = host.failed()
    if not failed:
        return ""
    return "; note: these plugins failed to load: " + ", ".join(
        f"{i.name} ({i.dist or 'no distribution'})" for i in failed
    )
