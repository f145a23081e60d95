"""Importers of configs written for other tools (built-in plugin ``importers``).

- ``convert_foreign_config``: a BasicSR/Real-ESRGAN option file given to ``esrgan-run`` is
  converted on the fly (every option that could not be carried is logged as a warning).
- ``esrgan-run import-options OLD.yml > NEW.yml``: the same conversion written out as YAML, with a
  header comment naming every option that was not carried and why.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Mapping

import yaml

from esrgan_core.atomic import atomic_write_text
from esrgan_core.config import build_config
from esrgan_core.errors import ConfigError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.yamlio import read_yaml
from esrgan_plugins.importers.basicsr import convert_options, is_basicsr_options

log = logging.getLogger("esrgan.importers")

__all__ = ["convert_options", "is_basicsr_options", "options_to_yaml"]


@hookimpl
def convert_foreign_config(data: Mapping[str, Any], file: str) -> dict[str, Any] | None:
    if not is_basicsr_options(data):
        return None
    config, dropped = convert_options(data)
    log.warning("%s: read as a BasicSR/Real-ESRGAN option file (esrgan-run import-options writes the converted config)",
                file or "config")
    for key, reason in dropped.items():
        log.warning("%s: %s not carried: %s", file or "config", key, reason)
    return config


def options_to_yaml(data: Mapping[str, Any], source: str = "") -> str:
    """The converted config as YAML text with a header comment listing what was not carried."""
    if not is_basicsr_options(data):
        raise ConfigError("not a BasicSR/Real-ESRGAN option file (needs a known model_type or network_g type)",
                          file=source or None)
    config, dropped = convert_options(data)
    head = [f"# Converted from the BasicSR/Real-ESRGAN option file {source or '(stdin)'} by esrgan-run import-options.",
            "# Relative paths are kept as written; esrgan resolves them against this file's folder."]
    if dropped:
        head.append("# Not carried over:")
        head += [f"#   {key}: {reason}" for key, reason in dropped.items()]
    else:
        head.append("# Every option was carried over.")
    return "\n".join(head) + "\n" + yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=110)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("options", help="BasicSR/Real-ESRGAN option file (options/train_*.yml)")
    parser.add_argument("-o", "--output", help="write the esrgan config here instead of printing it")
    parser.add_argument("--check", action="store_true", help="also validate the converted config")


def _handle(args: argparse.Namespace) -> int:
    data, _ = read_yaml(args.options)
    text = options_to_yaml(data, source=args.options)
    if args.check:
        build_config(yaml.safe_load(text), file=args.output or args.options)
    if args.output:
        atomic_write_text(Path(args.output), text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


@hookimpl
def register_commands(register) -> None:
    register("import-options", _configure, _handle,
             help="convert a BasicSR/Real-ESRGAN option file into an esrgan config (printed as YAML)")
