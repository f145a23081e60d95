"""Preflight: everything knowable about a config without running it, collected as findings.

``esrgan-run validate`` and the start of every run call :func:`preflight` after the config has
loaded. Each plugin's :func:`~esrgan_core.hookspecs.preflight_config` hook adds findings (one per
problem, each naming the key path) to a :class:`Findings` collector; a check that raises is
itself a finding, so one broken check never hides the others. When anything was found,
:class:`PreflightError` (exit code 2) lists every finding, one line each, as
``file:line: key.path: message`` (``--set`` instead of the file for overridden values).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import attrs

from esrgan_core.errors import ConfigError, EsrganError, short_message

MAX_FINDING_CHARS = 300


@attrs.frozen
class Finding:
    """One problem: the key path it belongs to and a one-line message."""

    path: str
    message: str
    where: str = ""  # "file:line" or "--set"

    def __str__(self) -> str:
        key = f"{self.path}: " if self.path else ""
        return f"{self.where + ': ' if self.where else ''}{key}{short_message(self.message, MAX_FINDING_CHARS)}"


class PreflightError(ConfigError):
    """The config cannot run; ``findings`` lists every reason (the message has one line each)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))

    def _render(self) -> str:  # the findings already carry file:line
        return self.message


class Findings:
    """Collects findings for one config; locates each key path in the file (or ``--set``)."""

    def __init__(self, config: Any) -> None:
        self.file = str(config.file) if getattr(config, "file", None) else ""
        self.lines: dict[str, int] = dict(getattr(config, "lines", {}) or {})
        self.touched: frozenset[str] = frozenset(getattr(config, "touched", ()) or ())
        self.items: list[Finding] = []

    def where(self, path: str) -> str:
        """``file:line`` of ``path`` (or of its nearest ancestor), ``--set`` when an override set it."""
        from esrgan_core.yamlio import line_for

        for t in self.touched:
            if path == t or path.startswith((t + ".", t + "[")):
                return "--set"
        line = line_for(path, self.lines) if path else None
        return f"{self.file}:{line}" if self.file and line else self.file

    def add(self, path: str, message: str) -> None:
        """Record a problem at key ``path``."""
        self.items.append(Finding(path, " ".join(str(message).split()), self.where(path)))

    @contextlib.contextmanager
    def check(self, path: str) -> Iterator[None]:
        """Run a check; an :class:`EsrganError` (or OSError) it raises becomes a finding at ``path``
        (a ConfigError's own, deeper path wins)."""
        try:
            yield
        except ConfigError as exc:
            self.add(exc.path or path, exc.message)
        except (EsrganError, OSError) as exc:
            self.add(path, str(exc))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise PreflightError(self.items)


def preflight(config: Any, host: Any) -> None:
    """Run every plugin's preflight checks on ``config``; raise :class:`PreflightError` listing all findings."""
    findings = Findings(config)
    host.hook.preflight_config(config=config, registries=host.registries, findings=findings)
    findings.raise_if_any()


def nearest_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p
