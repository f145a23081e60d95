"""JSON Schema of a config: the task params classes plus every plugin-provided component type.

Editors use it for completion: ``# yaml-language-server: $schema=esrgan.schema.json``.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import attrs

from esrgan_core.registry import Registries
from esrgan_core.schema import field_hints, field_meta
from esrgan_core.values import ComponentSpec


class _Builder:
    def __init__(self, registries: Registries) -> None:
        self.registries = registries
        self.defs: dict[str, Any] = {}

    def for_class(self, cls: type, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        hints = field_hints(cls)
        props: dict[str, Any] = dict(extra or {})
        required: list[str] = []
        for f in attrs.fields(cls):
            if not f.init:
                continue
            md = field_meta(f)
            sch = self.for_type(hints[f.name], md)
            if md.get("help"):
                sch["description"] = md["help"]
            if f.default is attrs.NOTHING:
                required.append(f.alias)
            elif not isinstance(f.default, attrs.Factory):
                default = _plain(f.default)
                if default is not _SKIP:
                    sch["default"] = default
            props[f.alias] = sch
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            out["required"] = required
        if cls.__doc__:
            out["description"] = cls.__doc__.strip().splitlines()[0]
        return out

    def for_type(self, tp: Any, md: dict[str, Any]) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any:
            return {}
        if tp is type(None):
            return {"type": "null"}
        if origin in (Union, types.UnionType):
            return {"anyOf": [self.for_type(a, md) for a in args]}
        if origin is Literal:
            return {"enum": list(args)}
        if tp is bool:
            return {"type": "boolean"}
        if tp in (int, float):
            sch: dict[str, Any] = {"type": "integer" if tp is int else "number"}
            for key, js in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
                if md.get(key) is not None:
                    sch[js] = md[key]
            return sch
        if tp in (str, Path):
            return {"type": "string"}
        if origin in (list, tuple) or tp in (list, tuple):
            if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
                items = [self.for_type(a, md) for a in args]
                return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
            return {"type": "array", "items": self.for_type(args[0], md) if args else {}}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.for_type(args[1], md) if len(args) == 2 else {}}
        if tp is ComponentSpec:
            return self.for_component(md["kind"])
        if attrs.has(tp):
            return self.for_class(tp)
        return {}

    def for_component(self, kind: str) -> dict[str, Any]:
        refs = []
        for entry in self.registries[kind].entries():
            key = f"{kind}.{entry.name}"
            if key not in self.defs:
                self.defs[key] = {}  # guard against recursion
                type_prop = {"type": {"const": entry.name, "description": entry.help}}
                if entry.params is None:
                    body = {"type": "object", "properties": type_prop, "additionalProperties": False}
                else:
                    body = self.for_class(entry.params, type_prop)
                body["required"] = ["type", *body.get("required", [])]
                self.defs[key] = body
            refs.append({"$ref": f"#/$defs/{key}"})
        return {"oneOf": refs}


_SKIP = object()


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return _SKIP if any(i is _SKIP for i in items) else items
    return _SKIP


def config_schema(registries: Registries) -> dict[str, Any]:
    """The JSON Schema of a whole config file: one alternative per registered task."""
    b = _Builder(registries)
    alternatives = []
    for entry in registries["tasks"].entries():
        extra = {
            "task": {"const": entry.name, "description": entry.help},
            "plugins": {"type": "array", "items": {"type": "string"}, "description": "extra plugin modules to load"},
        }
        body = b.for_class(entry.params, extra) if entry.params else {"type": "object", "properties": extra}
        b.defs[f"tasks.{entry.name}"] = body
        alternatives.append({"$ref": f"#/$defs/tasks.{entry.name}"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "esrgan config",
        "oneOf": alternatives,
        "$defs": b.defs,
    }
