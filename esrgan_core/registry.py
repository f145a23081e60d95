"""Registries: what each plugin provides, by kind and name.

A registry entry names the providing plugin so duplicates and failures can say who is at fault.
Building a component from a validated :class:`~esrgan_core.values.ComponentSpec` goes through
:meth:`Registry.build`.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Iterable

import attrs

from esrgan_core.contracts import check_built
from esrgan_core.errors import ConfigError, PluginError
from esrgan_core.values import ComponentSpec

KINDS: tuple[str, ...] = (
    "networks",
    "degradations",
    "losses",
    "augmentations",
    "trainers",
    "metrics",
    "datasets",
    "tasks",
)


@attrs.frozen
class Entry:
    """One registered component: ``factory`` builds it from an instance of ``params``."""

    kind: str
    name: str
    factory: Callable[..., Any]
    params: type | None
    help: str
    plugin: str


class Registry:
    """Entries of one kind, keyed by name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(self, entry: Entry) -> None:
        old = self._entries.get(entry.name)
        if old is not None:
            raise PluginError(
                f"{self.kind} name {entry.name!r} is registered by both plugin {old.plugin!r} "
                f"and plugin {entry.plugin!r}",
                plugin=entry.plugin,
            )
        self._entries[entry.name] = entry

    def get(self, name: str, *, path: str = "") -> Entry:
        """The entry for ``name``; a ConfigError listing the known names if there is none."""
        try:
            return self._entries[name]
        except KeyError:
            raise ConfigError(unknown_name_message(self.kind, name, self.names()), path=path) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[n] for n in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def build(self, spec: ComponentSpec, *args: Any, **kwargs: Any) -> Any:
        entry = self.get(spec.type, path=spec.path)
        if entry.params is None:
            return entry.factory(*args, **kwargs)
        return entry.factory(spec.params, *args, **kwargs)

    def build_checked(self, spec: ComponentSpec, *args: Any, **kwargs: Any) -> Any:
        """:meth:`build`, then the object is checked against its contract (PluginError naming the plugin)."""
        entry = self.get(spec.type, path=spec.path)
        return check_built(self.kind, entry.name, self.build(spec, *args, **kwargs), entry.plugin)


class Registries:
    """All registries, indexed by kind (``registries["losses"]``)."""

    def __init__(self, kinds: Iterable[str] = KINDS) -> None:
        self._by_kind = {k: Registry(k) for k in kinds}

    def __getitem__(self, kind: str) -> Registry:
        return self._by_kind[kind]

    def kinds(self) -> list[str]:
        return list(self._by_kind)

    def provided_by(self, plugin: str) -> dict[str, list[str]]:
        """Names each kind registers on behalf of ``plugin`` (kinds with none are omitted)."""
        out: dict[str, list[str]] = {}
        for kind, reg in self._by_kind.items():
            names = [e.name for e in reg.entries() if e.plugin == plugin]
            if names:
                out[kind] = names
        return out


SINGULAR = {
    "networks": "network", "degradations": "degradation", "losses": "loss", "augmentations": "augmentation", "trainers": "trainer",
    "metrics": "metric", "datasets": "dataset", "tasks": "task",
}


def unknown_name_message(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {SINGULAR.get(kind, kind)} type {name!r}{hint}; known: {', '.join(known) or 'none'}"
