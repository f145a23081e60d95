"""Config loading: YAML -> overrides -> plugin-declared schemas, and the errors users see."""

from __future__ import annotations

from pathlib import Path

import pytest

from esrgan_core.config import build_config, load_config
from esrgan_core.errors import ConfigError
from esrgan_core.plugins import load_plugins
from esrgan_core.yamlio import parse_yaml
from tests.core_plugin_fixtures import ToyPlugin


@pytest.fixture(scope="module")
def host():
    return load_plugins(extra_plugins=[("toy", ToyPlugin)])


def _build(host, text: str, overrides=()):
    data, lines = parse_yaml(text, file="c.yml")
    return build_config(data, file="c.yml", lines=lines, overrides=overrides, host_factory=lambda m: host)


def _error(host, text: str, overrides=()) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _build(host, text, overrides)
    return info.value


def test_valid_config_builds_frozen_params_with_components(host):
    cfg, _ = _build(host, "task: toy\nname: a\ntrain:\n  losses:\n    - {type: toy_l1, weight: 2}\n")
    assert cfg.task == "toy"
    assert cfg.params.name == "a"
    spec = cfg.params.train.losses[0]
    assert (spec.type, spec.params.weight, spec.path) == ("toy_l1", 2.0, "train.losses[0]")
    assert spec.build(host.registries) == ("toy_l1", 2.0)
    with pytest.raises(AttributeError):
        cfg.params.name = "b"  # frozen


def test_unknown_key_names_path_line_and_suggestion(host):
    err = _error(host, "task: toy\ntrain:\n  losses:\n    - type: toy_l1\n      wieght: 3\n")
    assert err.path == "train.losses[0].wieght"
    assert err.line == 5 and err.file == "c.yml"
    assert "did you mean 'weight'" in str(err)


def test_wrong_type_and_out_of_range_are_reported_with_path(host):
    assert "expected an integer" in str(_error(host, "task: toy\ntrain: {total_iter: ten}"))
    err = _error(host, "task: toy\ntrain:\n  total_iter: -1\n")
    assert err.path == "train.total_iter" and err.line == 3 and "must be > 0" in str(err)
    err = _error(host, "task: toy\nratio: [0.1, 1.5]\n")
    assert err.path == "ratio" and "must be <= 1" in str(err)


def test_cross_field_validation_names_the_key(host):
    err = _error(host, "task: toy\nratio: [0.9, 0.1]\n")
    assert err.path == "ratio" and "lower bound exceeds upper bound" in str(err)


def test_unknown_component_type_lists_known_names(host):
    err = _error(host, "task: toy\ntrain:\n  losses: [{type: toy_l2}]\n")
    assert err.path == "train.losses[0].type"
    assert "unknown loss type 'toy_l2'" in str(err) and "toy_l1" in str(err)


def test_unknown_task_lists_tasks(host):
    err = _error(host, "task: tyo\n")
    assert err.path == "task" and "did you mean 'toy'" in str(err)


def test_overrides_parse_yaml_values_and_index_lists(host):
    cfg, _ = _build(host, "task: toy\ntrain:\n  losses: [{type: toy_l1}]\n",
                    ["train.losses[0].weight=0.5", "name=other", "train.total_iter=3"])
    assert cfg.params.train.losses[0].params.weight == 0.5
    assert (cfg.params.name, cfg.params.train.total_iter) == ("other", 3)


def test_override_of_missing_key_is_a_config_error_marked_as_set(host):
    err = _error(host, "task: toy\n", ["train.toal_iter=3"])
    assert err.file == "--set" and err.path == "train.toal_iter" and "did you mean 'total_iter'" in str(err)
    err = _error(host, "task: toy\ntrain: {losses: []}\n", ["train.losses[2].weight=1"])
    assert "out of range" in str(err)


def test_yaml_syntax_error_has_line(tmp_path: Path, host):
    bad = tmp_path / "bad.yml"
    bad.write_text("task: toy\ntrain: [1,\n  b: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(bad, host_factory=lambda m: host)
    assert info.value.file == str(bad) and info.value.line is not None and "YAML syntax error" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path, host):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml", host_factory=lambda m: host)


def test_yaml_is_loaded_safely(host):
    """Python tags are refused (safe_load), never executed."""
    err = _error(host, "task: toy\nname: !!python/object/apply:os.system ['echo hi']\n")
    assert "YAML" in str(err) or "could not determine a constructor" in str(err)


def test_atomic_writes_leave_an_ordinary_file_and_nothing_on_failure(tmp_path: Path):
    import os

    from esrgan_core.atomic import atomic_write_text, atomic_write_with

    target = tmp_path / "out.txt"
    atomic_write_text(target, "one")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_write_with(target, broken)
    assert target.read_text() == "one", "the earlier result is intact"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"], "no temporary file left behind"
