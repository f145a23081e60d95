"""nox sessions: the test matrix, the plugin-package check, lint, demo, bench.

``nox -l`` lists every leg. The matrix is derived from pyproject.toml: the Python versions from
``requires-python`` (up to MAX_PYTHON), the install sets from ``[project.optional-dependencies]``
(so a new extra joins the matrix by itself). See docs/testing.md.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
MAX_PYTHON = "3.13"
PYTHONS = nox.project.python_versions(PYPROJECT, max_version=MAX_PYTHON)
CI_PYTHON = "3.11"  # the Python CI and the shared dev venv run (python3 on this machine kind)
EXTRAS_TABLE: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]
# dev = the test tools + every extra the suite exercises; bench = the reference implementation the
# benchmarks time (basicsr), not something users install: neither is a leg of its own.
NOT_A_LEG = {"dev", "bench"}
EXTRAS = [name for name in EXTRAS_TABLE if name not in NOT_A_LEG]
INSTALLS = ["minimal", *EXTRAS, "full"]
EXAMPLE = ROOT / "examples" / "esrgan-example-plugin"

nox.options.sessions = ["lint", f"tests-{CI_PYTHON}(install='full')", f"tests-{CI_PYTHON}(install='minimal')"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False  # a Python not on this machine is skipped, and nox says so
if hasattr(nox.options, "download_python"):
    nox.options.download_python = "never"  # registries only: no interpreter downloads


def _add_pyenv_interpreters() -> None:
    """Interpreters that pyenv built (~/.pyenv/versions/X/bin) count as present, after PATH's own."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = [str(p / "bin") for p in sorted(versions.glob("3.*")) if (p / "bin").is_dir()] if versions.is_dir() else []
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *found])


_add_pyenv_interpreters()


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_tools() -> list[str]:
    """What ``dev`` adds beyond the extras (pytest and friends): every leg installs these."""
    in_extras = {_name(r) for extra in EXTRAS for r in EXTRAS_TABLE[extra]}
    return [r for r in EXTRAS_TABLE["dev"] if _name(r) not in in_extras and _name(r) not in {"ruff", "nox"}]


def _pytest(session: nox.Session, *args: str) -> None:
    """pytest, with the session's arguments (``nox -s ... -- tests/test_x.py -x``) after ours.

    Exit 5 (no test collected) fails a whole-suite leg; with a selection after ``--`` it is
    accepted, since a selection (``-k video``) may match nothing in some legs."""
    session.run("pytest", "-p", "no:cacheprovider", *args, *session.posargs,
                success_codes=[0, 5] if session.posargs else [0])


@nox.session(python=PYTHONS)
@nox.parametrize("install", INSTALLS)
def tests(session: nox.Session, install: str) -> None:
    """The suite on one install set: minimal, one extra alone, or full.

    ``minimal`` is the package without extras (a test needing one skips, naming it); ``full`` is
    ``.[dev]``, what the README's test command installs."""
    target = {"minimal": ".", "full": ".[dev]"}.get(install, f".[{install}]")
    session.install(*test_tools())
    session.install("-e", target)
    _pytest(session)


@nox.session(python=CI_PYTHON)
def oldest(session: nox.Session) -> None:
    """The suite on the lowest versions pyproject.toml allows (the lower bounds are true).

    uv's lowest-direct resolution, from the package index, for every direct dependency."""
    session.install("uv")
    lock = Path(session.create_tmp()) / "oldest.txt"
    session.run("uv", "pip", "compile", "pyproject.toml", "--resolution", "lowest-direct", "--python-version",
                session.python if isinstance(session.python, str) else CI_PYTHON, "-o", str(lock), "--quiet")
    pins = [line for line in lock.read_text().splitlines() if line and not line.startswith((" ", "#"))]
    session.log("lowest direct: " + ", ".join(p for p in pins if _name(p) in {_name(r) for r in PYPROJECT["project"]["dependencies"]}))
    session.install("-r", str(lock))
    session.install("-c", str(lock), *test_tools())  # the newest test tools that keep the pins
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "pip", "check")
    _pytest(session)


@nox.session(python=CI_PYTHON)
def plugins(session: nox.Session) -> None:
    """The example plugin package's own tests, from its installed wheel, against the installed framework.

    The path a third-party plugin package takes: examples/ is built as a wheel and installed next to
    the framework (itself not editable), and its tests run from outside the source tree."""
    dist = Path(session.create_tmp()).resolve() / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(EXAMPLE))
    session.install(*test_tools())
    session.install(str(ROOT))  # the framework, not editable: what `pip install esrgan` gives
    # today's code of both, also in a reused venv (same version numbers, so pip would keep the old ones)
    session.install("--force-reinstall", "--no-deps", str(ROOT), *(str(w) for w in dist.glob("*.whl")))
    work = Path(tempfile.mkdtemp(prefix="esrgan-plugins-"))  # outside the source tree and its pyproject.toml
    session.chdir(work)
    where = "import esrgan_example_plugin as m, sysconfig; assert m.__file__.startswith(sysconfig.get_paths()['purelib']), m.__file__"
    try:
        session.run("python", "-c", where)  # the installed wheel, not examples/ on some path
        _pytest(session, "--pyargs", "esrgan_example_plugin.tests", "--rootdir", str(work))
    finally:
        session.chdir(ROOT)
        shutil.rmtree(work, ignore_errors=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, as CI and the developers' guide use it."""
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
