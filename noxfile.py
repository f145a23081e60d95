"""nox sessions: tests, lint, demo, bench (``nox -s bench`` writes JSON under results/bench/)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The full test suite, slow end-to-end tests included."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def demo(session: nox.Session) -> None:
    """The README's main job: the built-in quickstart (two-stage training on offline photos)."""
    session.install("-e", ".[metrics]")
    session.run("esrgan-run", *session.posargs)


BENCH_OK = [0, 3]  # 3: a benchmark refused repeats taken on a busy machine (see benchmarks/_load.py)


@nox.session
def bench(session: nox.Session) -> None:
    """Performance benchmarks; each writes JSON with machine info to results/bench/."""
    session.install("-e", ".[video,bench]")  # bench: the BasicSR/Real-ESRGAN reference timed alongside
    out = "results/bench"
    session.run("python", "benchmarks/degradation.py", "--output", f"{out}/degradation.json", *session.posargs, success_codes=BENCH_OK)
    session.run("python", "benchmarks/upscale.py", "--output", f"{out}/upscale.json", *session.posargs, success_codes=BENCH_OK)
    session.run("python", "benchmarks/training.py", "--output", f"{out}/training.json", *session.posargs, success_codes=BENCH_OK)
    session.run("python", "benchmarks/architectures.py", "--output", f"{out}/architectures.json", *session.posargs,
                success_codes=BENCH_OK)
    session.install("-e", ".[export]")
    session.run("python", "benchmarks/runtimes.py", "--output", f"{out}/runtimes.json", *session.posargs, success_codes=BENCH_OK)
    session.run("python", "benchmarks/video.py", "--output", f"{out}/video.json", *session.posargs, success_codes=BENCH_OK)
