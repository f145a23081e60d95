"""Command-line options generated from params metadata (esrgan_core.argparse_gen), and the upscale command built on it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Literal

import attrs
import pytest

from esrgan_core.argparse_gen import add_param_options, params_from_args
from esrgan_core.errors import ConfigError
from esrgan_core.schema import field_meta, from_dict, param
from esrgan_plugins.upscale.command import FLAGS, configure
from esrgan_plugins.upscale.params import UpscaleParams


@attrs.frozen
class _Toy:
    src: str = param(help="where from")
    size: int | Literal["auto"] = param(0, ge=0, help="a size")
    mode: Literal["a", "b"] = param("a", help="the mode")
    ratio: float | None = param(None, gt=0, help="a ratio; default: none")
    fast: bool = param(False, help="go fast")
    bar: bool = param(True, help="show a bar")
    files: tuple[Path, ...] = param((), help="some files")
    out: Path = param(Path("o"), help="output folder")


def _parser(cls: type, **kw) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="t", exit_on_error=False)
    add_param_options(p, cls, **kw)
    return p


def _actions(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in p._actions if a.dest != "help"}


def test_every_upscale_field_has_a_flag_whose_help_is_the_fields_help():
    p = argparse.ArgumentParser()
    configure(p)
    actions = _actions(p)
    for field in attrs.fields(UpscaleParams):
        text = field_meta(field)["help"]
        assert text, f"{field.name} has no help text"
        action = actions[field.name]
        shown = f"{text} (default: {field.default})"  # the default is appended unless the text names one
        assert action.help in (text, shown), field.name
        if isinstance(field.default, bool) or field.default is None or "default" in text:
            assert action.help == text
        flags = FLAGS.get(field.name, ("--" + field.name.replace("_", "-"),))
        assert set(flags) <= set(action.option_strings)
    assert set(actions) == {f.name for f in attrs.fields(UpscaleParams)}


def test_the_historical_flags_and_short_options_are_kept():
    p = argparse.ArgumentParser()
    configure(p)
    flags = {s for a in p._actions for s in a.option_strings}
    assert {"-i", "-o", "-m", "-dn", "-t", "-s", "-r", "--alpha-interp", "--interpolate", "--no-progress",
            "--tile-overlap", "--tile-batch", "--skip-existing", "--channels-last", "--frame-batch",
            "--segment-frames", "--model2", "--precision", "--engine", "--alpha"} <= flags


def test_given_options_only_reach_the_params_and_the_class_defaults_fill_the_rest():
    p = _parser(_Toy)
    args = p.parse_args(["--src", "x"])
    assert params_from_args(_Toy, args) == {"src": "x"}
    assert from_dict(_Toy, params_from_args(_Toy, args)) == _Toy(src="x")
    args = p.parse_args(["--src", "x", "--size", "auto", "--mode", "b", "--ratio", "2.5", "--fast", "--no-bar"])
    assert from_dict(_Toy, params_from_args(_Toy, args)) == _Toy("x", "auto", "b", 2.5, True, False)
    assert p.parse_args(["--src", "x", "--size", "12"]).size == 12
    args = p.parse_args(["--src", "x", "--files", "a.png", "b/c.png", "--out", "res"])
    assert params_from_args(_Toy, args) == {"src": "x", "files": ["a.png", "b/c.png"], "out": "res"}  # as in YAML
    assert from_dict(_Toy, params_from_args(_Toy, args)) == _Toy("x", files=(Path("a.png"), Path("b/c.png")), out=Path("res"))


def test_bad_values_fail_in_argparse_or_in_the_params_bounds():
    p = _parser(_Toy)
    with pytest.raises(argparse.ArgumentError, match="invalid size value: 'big'"):
        p.parse_args(["--src", "x", "--size", "big"])
    with pytest.raises(argparse.ArgumentError, match="invalid choice"):
        p.parse_args(["--src", "x", "--mode", "c"])
    with pytest.raises(ConfigError, match="must be >= 0"):
        from_dict(_Toy, params_from_args(_Toy, p.parse_args(["--src", "x", "--size", "-5"])))


def test_required_fields_flags_metavars_and_defaults_in_help():
    p = _parser(_Toy, flags={"src": ("-s", "--source")}, metavars={"ratio": "R"}, exclude=("fast",))
    actions = _actions(p)
    assert actions["src"].required and actions["src"].option_strings == ["-s", "--source"]
    assert actions["ratio"].metavar == "R" and "fast" not in actions
    assert actions["size"].help == "a size (default: 0)" and actions["ratio"].help == "a ratio; default: none"
    assert actions["bar"].option_strings == ["--bar", "--no-bar"]


def test_a_field_without_a_command_line_form_is_refused():
    @attrs.frozen
    class Nested:
        sizes: dict[str, int] = param(factory=dict, help="no flag for this")

    with pytest.raises(TypeError, match="sizes: no command-line form"):
        _parser(Nested)
    assert "sizes" not in _actions(_parser(Nested, exclude=("sizes",)))
