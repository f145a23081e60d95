"""Command-line options generated from a params class (the fields' :func:`~esrgan_core.schema.param` metadata).

A command whose options are a params class declares only what the class cannot say (short flags,
aliases, a metavar) and lets this module write the rest, so the ``--help`` texts, choices and
defaults never drift from the class that validates the same options in a config::

    def configure(p):
        add_param_options(p, UpscaleParams, flags={"input": ("-i", "--input")})

    def handler(args):
        return run(from_dict(UpscaleParams, params_from_args(UpscaleParams, args)))

Every option's argparse default is ``None`` (flags: not given), so :func:`params_from_args` passes
on only what the user typed and the class's own defaults (and bounds, and ``validate``) apply.
Mapping of annotations: ``bool`` with default False → ``--name`` (store_true), with default True →
``--name``/``--no-name``; ``Literal[...]`` → ``choices``; ``int``/``float``/``str``/``Path`` (optional
or not) → that type; ``tuple[X, ...]`` of one of those → ``nargs="*"``; ``int | Literal["auto", ...]`` → one of the words or an integer (argparse names
the field in its error: "invalid tile value"). A field without a default is a required option.
"""

from __future__ import annotations

import argparse
import types
import typing
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence, Union

import attrs

from esrgan_core.schema import field_hints, field_meta

_SCALARS = (int, float, str, Path)


def option_name(field: attrs.Attribute) -> str:
    """The long flag of a field: ``--`` and the name with dashes (a bool that defaults to True also
    gets ``--no-name``, added by argparse's ``BooleanOptionalAction``)."""
    return "--" + field.name.replace("_", "-")


def option_help(field: attrs.Attribute) -> str:
    """The field's help text, with its default appended when the text does not already speak of one."""
    text = str(field_meta(field).get("help", ""))
    default = field.default
    if default is not attrs.NOTHING and default is not None and not isinstance(default, (bool, attrs.Factory)) \
            and "default" not in text:
        text = f"{text} (default: {default})"
    return text


def add_param_options(parser: argparse.ArgumentParser, cls: type, *,
                      flags: Mapping[str, Sequence[str]] | None = None,
                      metavars: Mapping[str, str] | None = None,
                      exclude: Sequence[str] = ()) -> None:
    """Add one option per init field of the attrs class ``cls`` (``flags``: a field's own flag names,
    replacing the generated long flag; ``metavars``: a field's metavar; ``exclude``: fields left out)."""
    flags, metavars = flags or {}, metavars or {}
    hints = field_hints(cls)
    for field in attrs.fields(cls):
        if not field.init or field.name in exclude:
            continue
        names = list(flags.get(field.name, (option_name(field),)))
        kwargs = _argument(field, hints[field.name])
        kwargs["help"] = option_help(field).replace("%", "%%")
        if field.name in metavars:
            kwargs["metavar"] = metavars[field.name]
        parser.add_argument(*names, dest=field.name, **kwargs)


def params_from_args(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The options the user gave, as the plain data :func:`esrgan_core.schema.from_dict` validates
    (paths as strings, lists as lists, as they would be in YAML)."""
    names = [f.name for f in attrs.fields(cls) if f.init]
    return {k: _plain(getattr(args, k)) for k in names if getattr(args, k, None) is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _argument(field: attrs.Attribute, tp: Any) -> dict[str, Any]:
    tp = _strip_none(tp)
    if tp is bool:
        action = argparse.BooleanOptionalAction if field.default is True else "store_true"
        return {"action": action, "default": None}
    kwargs: dict[str, Any] = {"default": None}
    if field.default is attrs.NOTHING:
        kwargs["required"] = True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        kwargs["choices"] = list(args)
    elif origin in (Union, types.UnionType):
        kwargs["type"] = _words_or(field.name, args)
    elif tp in _SCALARS:
        kwargs["type"] = tp
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis and args[0] in _SCALARS:
        kwargs.update(nargs="*", type=args[0])  # a list of values: --images a.png b.png
    else:
        raise TypeError(f"{field.name}: no command-line form for {tp!r}; exclude it or give the option by hand")
    return kwargs


def _strip_none(tp: Any) -> Any:
    if typing.get_origin(tp) in (Union, types.UnionType):
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
        return Union[tuple(rest)]  # noqa: UP007 (rebuilds the union without None)
    return tp


def _words_or(name: str, args: tuple[Any, ...]) -> Callable[[str], Any]:
    """``Literal`` words, else the one scalar type of the union (``int | Literal['auto']``)."""
    literals = [a for a in args if typing.get_origin(a) is Literal]
    words = [w for a in literals for w in typing.get_args(a)]
    scalars = [a for a in args if a in _SCALARS]
    if len(scalars) != 1 or len(literals) + 1 != len(args):
        raise TypeError(f"{name}: no command-line form for the union {args!r}")

    def convert(text: str) -> Any:
        return text if text in words else scalars[0](text)

    convert.__name__ = name  # argparse's error: "invalid <name> value: 'x'"
    return convert
