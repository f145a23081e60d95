"""How :mod:`esrgan_core.schema` names types and values in its messages (and in the generated reference)."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Literal, Union

import attrs

from esrgan_core.values import ComponentSpec


def type_name(tp: Any) -> str:
    """The YAML-side name of an annotation: ``null``, ``'a' | 'b'``, ``list``, ``mapping``, ``int``, ..."""
    origin = typing.get_origin(tp)
    if tp is type(None):
        return "null"
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        return "list"
    if origin is dict:
        return "mapping"
    if attrs.has(tp) or tp is ComponentSpec:
        return "mapping"
    return getattr(tp, "__name__", str(tp))


def unknown_key(key: str, known: list[str]) -> str:
    """The message for a key no field has, with a "did you mean" and the known keys."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}; expected one of: {', '.join(sorted(known)) or 'no keys'}"


def describe_value(value: Any) -> str:
    """A value as an error message shows it: ``a string 'x'``, ``a list``, ``null``, ``float 1.5``."""
    if value is None:
        return "null"
    name = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(type(value))
    return f"{name} {value!r}" if name and not isinstance(value, (dict, list)) else (name or f"{type(value).__name__} {value!r}")
