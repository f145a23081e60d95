"""YAML reading with line numbers for every key path (``yaml.safe_load`` semantics only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from esrgan_core.errors import ConfigError


def _walk(node: yaml.Node, path: str, lines: dict[str, int], file: str | Path = "<string>") -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = f"{path}.{key}" if path else key
            if sub in lines and key != "<<":
                raise ConfigError(f"duplicate key {key!r} (first at line {lines[sub]}); YAML keeps only the last one",
                                  path=sub, file=file, line=key_node.start_mark.line + 1)
            lines[sub] = key_node.start_mark.line + 1
            _walk(value_node, sub, lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = f"{path}[{i}]"
            lines[sub] = item.start_mark.line + 1
            _walk(item, sub, lines, file)


def parse_yaml(text: str, *, file: str | Path = "<string>") -> tuple[Any, dict[str, int]]:
    """Parse YAML safely; return the data and a map from key path to 1-based line number."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", file=file) from None
    lines: dict[str, int] = {}
    if node is not None:
        _walk(node, "", lines, file)
    return data, lines


def read_yaml(path: str | Path) -> tuple[Any, dict[str, int]]:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError naming it."""
    p = Path(path)
    if not p.exists():
        raise ConfigError("config file does not exist", file=p)
    if not p.is_file():
        raise ConfigError("config path is not a file", file=p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", file=p) from None
    return parse_yaml(text, file=p)


def line_for(path: str, lines: dict[str, int]) -> int | None:
    """The line of ``path`` or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
