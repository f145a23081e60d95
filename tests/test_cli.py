"""esrgan-run: one-line errors with exit code 2 for bad configs, validate/schema/plugins commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.distutil import run_cli

REPO = Path(__file__).resolve().parents[1]
HEAD = "plugins: [tests.toy_plugin_module]\ntask: toy\n"


def _cfg(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "cfg.yml"
    p.write_text(HEAD + body)
    return p


def _one_line_error(out) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


def test_runs_a_task_from_a_config_with_extra_plugin_module(tmp_path):
    out = run_cli([str(_cfg(tmp_path, "name: hello\ntrain: {losses: [{type: toy_l1}]}\n"))], cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "toy ran: hello losses=1" in out.stdout


@pytest.mark.parametrize(
    ("body", "overrides", "expected"),
    [
        ("train: {totl_iter: 3}\n", [], "did you mean 'total_iter'"),
        ("train: {total_iter: many}\n", [], "train.total_iter: expected an integer"),
        ("train:\n  total_iter: 0\n", [], "cfg.yml:4: train.total_iter: value 0 out of range"),
        ("train: {losses: [{type: l9}]}\n", [], "unknown loss type 'l9'; known: "),
        ("train: [1,\n", [], "YAML syntax error"),
        ("", ["train.total_itr=5"], "--set: train.total_itr: unknown key"),
    ],
)
def test_config_errors_are_one_line_exit_2(tmp_path, body, overrides, expected):
    args = [str(_cfg(tmp_path, body))] + [a for o in overrides for a in ("--set", o)]
    line = _one_line_error(run_cli(args, cwd=REPO))
    assert expected in line


def test_yaml_syntax_error_names_the_line(tmp_path):
    line = _one_line_error(run_cli([str(_cfg(tmp_path, "name: [a,\ntrain: 1\n"))], cwd=REPO))
    assert "cfg.yml:" in line and "YAML syntax error" in line


def test_missing_config_file_is_one_line_exit_2(tmp_path):
    line = _one_line_error(run_cli([str(tmp_path / "missing.yml")], cwd=REPO))
    assert "missing.yml" in line and "does not exist" in line


def test_validate_checks_without_running(tmp_path):
    cfg = _cfg(tmp_path, "name: v\n")
    out = run_cli(["validate", str(cfg)], cwd=REPO)
    assert out.returncode == 0 and "valid (toy config)" in out.stdout and "toy ran" not in out.stdout
    assert run_cli(["validate", str(cfg), "--set", "name=3"], cwd=REPO).returncode == 2


def test_debug_shows_traceback(tmp_path):
    out = run_cli([str(_cfg(tmp_path, "train: {total_iter: 0}\n")), "--debug"], cwd=REPO)
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_schema_command_writes_json_schema_of_builtin_types(tmp_path):
    target = tmp_path / "schema.json"
    out = run_cli(["schema", "-o", str(target)], cwd=REPO)
    assert out.returncode == 0, out.stderr
    schema = json.loads(target.read_text())
    assert schema["oneOf"] and "$defs" in schema


def test_unknown_command_is_usage_error():
    line = _one_line_error(run_cli(["frobnicate"], cwd=REPO))
    assert "frobnicate" in line and "plugins" in line


def test_help_lists_core_and_plugin_commands():
    out = run_cli(["--help"], cwd=REPO)
    assert out.returncode == 0
    for name in ("plugins", "validate", "schema", "upscale", "convert", "preview", "benchmark", "import-options"):
        assert f"  {name} " in out.stdout, name
