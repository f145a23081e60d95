"""``--set a.b[1].c=VALUE`` overrides applied to raw config data before validation."""

from __future__ import annotations

import re
from typing import Any

import yaml

from esrgan_core.errors import ConfigError

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``train.losses[1].weight`` (or ``train.losses.1.weight``) as keys and indices."""
    out: list[str | int] = []
    for name, index in _TOKEN.findall(path):
        if index:
            out.append(int(index))
        elif name.isdigit():
            out.append(int(name))
        else:
            out.append(name)
    if not out:
        raise ConfigError("empty key path in --set", file="--set")
    return out


def canonical(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out = f"{out}[{t}]" if isinstance(t, int) else (f"{out}.{t}" if out else t)
    return out


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key.path=VALUE`` with VALUE parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"expected KEY=VALUE, got {text!r}", file="--set")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"value is not valid YAML: {exc}", path=key.strip(), file="--set") from None
    return key.strip(), value


def apply_overrides(data: dict[str, Any], assignments: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Apply each assignment in order; return the new data and the canonical paths that were set.

    Intermediate mappings are created when absent (the schema then rejects keys that do not
    exist, with a suggestion); list indices must exist.
    """
    touched: set[str] = set()
    for text in assignments:
        key, value = parse_assignment(text)
        tokens = parse_path(key)
        node: Any = data
        for i, tok in enumerate(tokens):
            last = i == len(tokens) - 1
            here = canonical(tokens[: i + 1])
            if isinstance(tok, int):
                if not isinstance(node, list):
                    raise ConfigError(f"{canonical(tokens[:i]) or 'config'} is not a list", path=here, file="--set")
                if tok >= len(node):
                    raise ConfigError(f"index {tok} out of range (list has {len(node)} items)", path=here, file="--set")
            elif not isinstance(node, dict):
                raise ConfigError(f"{canonical(tokens[:i]) or 'config'} is not a mapping", path=here, file="--set")
            if last:
                node[tok] = value
            else:
                if isinstance(tok, str) and tok not in node:
                    node[tok] = [] if isinstance(tokens[i + 1], int) else {}
                node = node[tok]
        touched.add(canonical(tokens))
    return data, touched
