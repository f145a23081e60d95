"""Declarative parameters for plugins and config sections, built on attrs.

A params class is a frozen attrs class whose fields are made with :func:`param`::

    @attrs.frozen
    class BlurParams:
        prob: float = param(1.0, ge=0, le=1, help="probability the stage is applied")
        sigma: tuple[float, float] = param((0.2, 3.0), gt=0, help="sigma range")

        def validate(self) -> None:          # optional cross-field checks
            if self.sigma[0] > self.sigma[1]:
                raise ParamError("sigma", "lower bound exceeds upper bound")

:func:`from_dict` turns untrusted YAML data into an instance, rejecting unknown keys (with a
"did you mean"), wrong types and out-of-range values with errors carrying the key path.
:func:`json_schema` describes the same class as JSON Schema. Supported annotations: bool, int,
float, str, Path, Any, None, Optional/Union, Literal, list/tuple (fixed or ``...``), dict[str, X],
nested attrs classes, and :class:`ComponentSpec` (with ``kind=`` in :func:`param`).
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Callable, Literal, Union

import attrs

from esrgan_core.errors import ConfigError, ParamError
from esrgan_core.registry import Registries
from esrgan_core.schema_text import describe_value, type_name, unknown_key
from esrgan_core.values import ComponentSpec

_MD = "esrgan"


def param(
    default: Any = attrs.NOTHING,
    *,
    factory: Any = None,
    help: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    kind: str | None = None,
    convert: Callable[[Any, str, Registries | None], Any] | None = None,
) -> Any:
    """An attrs field with a help text, numeric bounds, and (for components) a registry kind.

    Bounds apply to a number or to every number inside a list/tuple value. ``convert(value, path,
    registries)`` replaces the conversion of the annotation for values resolved when the config
    loads (a preset name becomes its validated stages); the annotation still documents the YAML form.
    """
    md = {_MD: {"help": help, "ge": ge, "gt": gt, "le": le, "lt": lt, "kind": kind, "convert": convert}}
    if factory is not None:
        return attrs.field(factory=factory, metadata=md)
    return attrs.field(default=default, metadata=md)


def field_meta(field: attrs.Attribute) -> dict[str, Any]:
    return field.metadata.get(_MD, {})


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def field_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class _Ctx:
    def __init__(self, registries: Registries | None) -> None:
        self.registries = registries


def from_dict(cls: type, data: Any, *, path: str = "", registries: Registries | None = None) -> Any:
    """Validate ``data`` (parsed YAML) against the attrs class ``cls``; return an instance."""
    return _build(cls, data, path, _Ctx(registries))


def from_value(tp: Any, value: Any, *, path: str, registries: Registries | None = None, kind: str | None = None) -> Any:
    """Validate one value against the annotation ``tp`` (``kind``: the registry of ComponentSpecs)."""
    return _convert(tp, value, path, {"kind": kind}, _Ctx(registries))


def _build(cls: type, data: Any, path: str, ctx: _Ctx) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping, got {describe_value(data)}", path=path)
    fields = {f.alias: f for f in attrs.fields(cls) if f.init}
    hints = field_hints(cls)
    for key in data:
        if key not in fields:
            raise ConfigError(unknown_key(str(key), list(fields)), path=_join(path, str(key)))
    kwargs: dict[str, Any] = {}
    for alias, field in fields.items():
        sub = _join(path, alias)
        md = field_meta(field)
        convert = md.get("convert")
        if alias not in data:
            if field.default is attrs.NOTHING:
                raise ConfigError(f"missing required key {alias!r}", path=path)
            if convert is not None and not isinstance(field.default, attrs.Factory):  # a default resolves too
                kwargs[alias] = convert(field.default, sub, ctx.registries)
            continue
        value = convert(data[alias], sub, ctx.registries) if convert else _convert(hints[field.name], data[alias], sub, md, ctx)
        _check_bounds(value, md, sub)
        kwargs[alias] = value
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), path=path) from exc
    validate = getattr(obj, "validate", None)
    if callable(validate):
        try:
            validate()
        except ParamError as exc:
            raise ConfigError(exc.message, path=_join(path, exc.key)) from exc
    return obj


def _convert(tp: Any, value: Any, path: str, md: dict[str, Any], ctx: _Ctx) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if tp is type(None):
        if value is not None:
            raise ConfigError(f"expected null, got {describe_value(value)}", path=path)
        return None
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, path, md, ctx)
            except ConfigError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        deeper = [e for e in errors if e.path != path]  # an alternative that got past the value's own shape
        if deeper:
            raise deeper[0]
        raise ConfigError(f"expected {type_name(tp)}, got {describe_value(value)}", path=path)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"expected one of {', '.join(repr(a) for a in args)}, got {value!r}", path=path)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected a boolean (true/false), got {describe_value(value)}", path=path)
        return value
    if tp is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"expected an integer, got {describe_value(value)}", path=path)
        return value
    if tp is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"expected a number, got {describe_value(value)}", path=path)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {describe_value(value)}", path=path)
        return value
    if tp is Path:
        if not isinstance(value, str):
            raise ConfigError(f"expected a path string, got {describe_value(value)}", path=path)
        return Path(value)
    if origin in (list, tuple) or tp in (list, tuple):
        return _convert_sequence(tp, value, path, md, ctx)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"expected a mapping, got {describe_value(value)}", path=path)
        vt = args[1] if len(args) == 2 else Any
        return {str(k): _convert(vt, v, _join(path, str(k)), md, ctx) for k, v in value.items()}
    if tp is ComponentSpec:
        return _convert_component(value, path, md, ctx)
    if attrs.has(tp):
        return _build(tp, value, path, ctx)
    raise TypeError(f"unsupported annotation {tp!r} at {path}")


def _convert_sequence(tp: Any, value: Any, path: str, md: dict[str, Any], ctx: _Ctx) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"expected a list, got {describe_value(value)}", path=path)
    args = typing.get_args(tp)
    origin = typing.get_origin(tp) or tp
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        if len(value) != len(args):
            raise ConfigError(f"expected a list of {len(args)} values, got {len(value)}", path=path)
        return tuple(_convert(a, v, _join(path, i), md, ctx) for i, (a, v) in enumerate(zip(args, value)))
    et = args[0] if args else Any
    return tuple(_convert(et, v, _join(path, i), md, ctx) for i, v in enumerate(value))


def _convert_component(value: Any, path: str, md: dict[str, Any], ctx: _Ctx) -> ComponentSpec:
    kind = md.get("kind")
    if kind is None or ctx.registries is None:
        raise TypeError(f"ComponentSpec at {path} needs param(kind=...) and registries")
    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, dict):
        raise ConfigError(f"expected a mapping with a 'type' key, got {describe_value(value)}", path=path)
    if "type" not in value:
        known = ", ".join(ctx.registries[kind].names())
        raise ConfigError(f"missing required key 'type' (one of: {known})", path=path)
    name = value["type"]
    entry = ctx.registries[kind].get(name, path=_join(path, "type"))
    rest = {k: v for k, v in value.items() if k != "type"}
    if entry.params is None:
        if rest:
            key = next(iter(rest))
            raise ConfigError(f"unknown key {key!r}; {kind} type {name!r} takes no options", path=_join(path, key))
        return ComponentSpec(kind, name, None, path, entry.factory)
    try:
        return ComponentSpec(kind, name, _build(entry.params, rest, path, ctx), path, entry.factory)
    except ConfigError as exc:
        if exc.path == path or not exc.path.startswith(path):
            raise
        raise ConfigError(f"{exc.message} ({kind} type {name!r})", path=exc.path, file=exc.file, line=exc.line) from None


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [value]
    if isinstance(value, tuple):
        return [x for v in value for x in _numbers(v)]
    return []


def _check_bounds(value: Any, md: dict[str, Any], path: str) -> None:
    checks = (("ge", lambda x, b: x >= b, ">="), ("gt", lambda x, b: x > b, ">"),
              ("le", lambda x, b: x <= b, "<="), ("lt", lambda x, b: x < b, "<"))
    for x in _numbers(value):
        for key, ok, sym in checks:
            bound = md.get(key)
            if bound is not None and not ok(x, bound):
                raise ConfigError(f"value {x!r} out of range: must be {sym} {bound}", path=path)


def to_plain(obj: Any) -> Any:
    """An attrs instance (with ComponentSpecs) back to plain YAML-able data (an object with a
    ``to_plain()`` method gives its own form, e.g. a recipe resolved from a preset gives the name)."""
    custom = getattr(obj, "to_plain", None)
    if callable(custom) and not isinstance(obj, type):
        return custom()
    if isinstance(obj, ComponentSpec):
        out: dict[str, Any] = {"type": obj.type}
        if obj.params is not None:
            out.update(to_plain(obj.params))
        return out
    if attrs.has(type(obj)):
        return {f.alias: to_plain(getattr(obj, f.name)) for f in attrs.fields(type(obj)) if f.init}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj
