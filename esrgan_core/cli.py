"""``esrgan-run``: run a config, or one of the sub-commands (core and plugin-provided).

    esrgan-run                      # the built-in quickstart
    esrgan-run CONFIG.yml [--set a.b=1 ...] [--fresh] [--debug]
    esrgan-run validate CONFIG.yml [--set ...]
    esrgan-run schema [-o FILE]
    esrgan-run weights list|fetch NAME|verify
    esrgan-run plugins [--json]
    esrgan-run <plugin command> ...   # upscale, convert, preview, ... (see --help)

Exit codes: 0 success; 2 bad input (config, options, preflight findings, model files, unreadable
input images, plugins that cannot load); 1 runtime failure (a file that cannot be written, a
diverged or stopped run, an observer plugin that raised); 130 interrupted. Each error is one
line (one per preflight finding), cut to a readable length; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib import resources
from pathlib import Path
from typing import Sequence

from esrgan_core.config import load_config
from esrgan_core.context import run_config
from esrgan_core.errors import EsrganError, short_message
from esrgan_core.plugins import PluginHost, load_plugins
from esrgan_core.preflight import preflight

CORE_COMMANDS = ("plugins", "validate", "schema", "weights")
QUICKSTART = "quickstart.yml"


def quickstart_path() -> Path:
    """The shipped quickstart config (package ``esrgan_configs``)."""
    return Path(str(resources.files("esrgan_configs").joinpath(QUICKSTART)))


def _commands_epilog() -> str:
    """The sub-commands, core and plugin-provided, for ``esrgan-run --help``."""
    rows = [("plugins", "list loaded plugins, their hooks and names (--json, --markdown)"),
            ("validate", "check a config without running it"),
            ("schema", "print the JSON Schema of every config (-o FILE)"),
            ("weights", "pretrained files: list | fetch NAME | verify (hash-checked downloads)")]
    try:
        rows += [(c.name, c.help) for c in load_plugins().commands.values()]
    except EsrganError as exc:
        rows.append(("(plugins)", f"could not be loaded: {exc}"))
    width = max(len(n) for n, _ in rows)
    return "commands:\n" + "\n".join(f"  {n.ljust(width)}  {h}" for n, h in sorted(rows))


def _run_parser(prog: str, with_commands: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run an esrgan config (its task: train, upscale, benchmark, preview, ...).",
                                epilog=_commands_epilog() if with_commands else None,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="config YAML (default: the built-in quickstart)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value (VALUE parsed as YAML); repeatable")
    p.add_argument("--fresh", action="store_true", help="start a training run over instead of resuming (the old run folder is kept under a new name)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def _print_plugins(host: PluginHost, as_json: bool) -> int:
    rows = [
        {
            "name": i.name, "distribution": i.dist, "version": i.version, "module": i.module,
            "builtin": i.builtin, "status": i.status, "error": i.error, "hooks": i.hooks,
            "provides": i.provides, "licences": _licences(host, i.name),
        }
        for i in host.infos
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        origin = f"{r['distribution'] or '-'} {r['version']}".strip()
        print(f"{r['name']}  [{r['status']}]  {origin}  ({r['module']})")
        if r["error"]:
            print(f"    error: {r['error']}")
        if r["hooks"]:
            print(f"    hooks: {', '.join(r['hooks'])}")
        for kind, names in r["provides"].items():
            print(f"    {kind}: {', '.join(names)}")
        if r["licences"]:
            print(f"    licences: {', '.join(f'{n} {lic}' for n, lic in r['licences'].items())}")
    return 0


def _licences(host: PluginHost, plugin: str) -> dict[str, str]:
    """Licence of each network ``plugin`` registers whose factory states one (``factory.licence``)."""
    entries = host.registries["networks"].entries() if "networks" in host.registries.kinds() else []
    return {e.name: str(e.factory.licence) for e in entries if e.plugin == plugin and getattr(e.factory, "licence", None)}


def _core_command(name: str, argv: Sequence[str], prog: str) -> int:
    p = argparse.ArgumentParser(prog=f"{prog} {name}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    if name == "weights":
        from esrgan_core import weights_cli

        weights_cli.configure(p)
        return weights_cli.handler(p.parse_args(argv))
    if name == "plugins":
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--markdown", action="store_true", help="print the config reference of every component")
        args = p.parse_args(argv)
        if args.markdown:
            from esrgan_core.reference import markdown_reference

            print(markdown_reference(load_plugins().registries), end="")
            return 0
        return _print_plugins(load_plugins(), args.json)
    if name == "validate":
        p.add_argument("config")
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
        args = p.parse_args(argv)
        cfg, host = load_config(args.config, overrides=args.overrides)
        preflight(cfg, host)
        print(f"{args.config}: valid ({cfg.task} config)")
        return 0
    p.add_argument("-o", "--output", help="write the schema to this file instead of stdout")
    args = p.parse_args(argv)
    from esrgan_core.jsonschema import config_schema

    text = json.dumps(config_schema(load_plugins().registries), indent=2)
    if args.output:
        from esrgan_core.atomic import atomic_write_text

        atomic_write_text(Path(args.output), text + "\n")
    else:
        print(text)
    return 0


def _dispatch(argv: list[str], prog: str) -> int:
    if argv and argv[0] in CORE_COMMANDS:
        return _core_command(argv[0], argv[1:], prog)
    if argv and not argv[0].startswith("-") and not _looks_like_file(argv[0]):
        host = load_plugins()
        cmd = host.commands.get(argv[0])
        if cmd is None:
            known = sorted([*CORE_COMMANDS, *host.commands])
            raise _UsageError(f"unknown command or missing config file {argv[0]!r}; commands: {', '.join(known)}")
        p = argparse.ArgumentParser(prog=f"{prog} {cmd.name}", description=cmd.help)
        p.add_argument("--debug", action="store_true", help="show tracebacks")
        cmd.configure(p)
        return int(cmd.handler(p.parse_args(argv[1:])) or 0)
    args = _run_parser(prog, with_commands=bool({"-h", "--help"} & set(argv))).parse_args(argv)
    path = args.config or quickstart_path()
    cfg, host = load_config(path, overrides=args.overrides)
    return run_config(cfg, host, debug=args.debug, fresh=args.fresh)


def _looks_like_file(arg: str) -> bool:
    return arg.endswith((".yml", ".yaml", ".json")) or "/" in arg or Path(arg).is_file()


class _UsageError(EsrganError):
    exit_code = 2


def main(argv: Sequence[str] | None = None, prog: str = "esrgan-run") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        return _dispatch(argv, prog)
    except EsrganError as exc:
        if debug:
            raise
        for line in str(exc).splitlines() or [""]:
            print(f"error: {short_message(line)}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a folder made read-only, a full disk, ... outside the paths we check
        if debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {short_message(f'{exc.strerror or exc}{where}')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse
        return int(exc.code) if isinstance(exc.code, int) else 2


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # ``python -m esrgan_core.cli`` / ``accelerate launch -m esrgan_core.cli``
    entry()
