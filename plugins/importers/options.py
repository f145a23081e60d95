"""Reading a foreign option file while recording which keys were carried over.

:class:`OptionReader` wraps the parsed option data. Every ``get`` marks a key as used; ``drop``
records a key that has no equivalent, with the reason. At the end :meth:`OptionReader.not_carried`
lists the dropped keys plus every leaf that nothing read, so no value is lost silently.
"""

from __future__ import annotations

from typing import Any, Mapping

_MISSING = object()


def as_number(value: Any) -> Any:
    """YAML 1.1 reads ``5e3`` (no dot) as a string; BasicSR files write ``!!float 5e3``. Both -> number."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    return value


def as_int(value: Any) -> Any:
    """An integer-valued number as ``int`` (``5000.0`` -> ``5000``); anything else unchanged."""
    value = as_number(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class OptionReader:
    """Tracked access to a nested mapping by dotted key paths (``train.optim_g.lr``)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.used: set[str] = set()
        self.dropped: dict[str, str] = {}

    def _lookup(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return _MISSING
            node = node[part]
        return node

    def has(self, path: str) -> bool:
        return self._lookup(path) is not _MISSING

    def get(self, path: str, default: Any = None) -> Any:
        """The value at ``path`` (marked as carried), or ``default`` when absent."""
        value = self._lookup(path)
        if value is _MISSING:
            return default
        self.used.add(path)
        return value

    def section(self, path: str) -> dict[str, Any]:
        """A mapping at ``path`` without marking it (its keys are read one by one); ``{}`` if absent."""
        value = self._lookup(path)
        return dict(value) if isinstance(value, Mapping) else {}

    def drop(self, path: str, reason: str) -> None:
        """Record ``path`` as not carried (only if it is present)."""
        if self.has(path):
            self.used.add(path)
            self.dropped[path] = reason

    def accept(self, path: str, expected: Any, reason: str) -> None:
        """Mark ``path`` carried when its value equals ``expected`` (our behaviour), else drop it."""
        value = self._lookup(path)
        if value is _MISSING:
            return
        if value == expected:
            self.used.add(path)
        else:
            self.drop(path, f"{reason} (value {value!r})")

    def not_carried(self) -> dict[str, str]:
        """``{key path: reason}`` for every dropped key and every leaf no one read."""
        out = dict(self.dropped)
        for path in _leaves(self.data, ""):
            if not any(path == u or path.startswith(u + ".") for u in self.used):
                out[path] = "no esrgan equivalent"
        return dict(sorted(out.items()))


def _leaves(node: Any, prefix: str) -> list[str]:
    if isinstance(node, Mapping) and node:
        out: list[str] = []
        for key, value in node.items():
            out += _leaves(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [prefix] if prefix else []
