"""Make real installed-looking distributions (dist-info with entry_points.txt) in a folder.

Putting that folder on ``sys.path``/``PYTHONPATH`` makes ``importlib.metadata`` find the entry
points exactly as for a pip-installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def make_dist(site: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str] | None = None,
              version: str = "0.1.0") -> None:
    """Write ``{dist}-{version}.dist-info`` declaring ``entry_points`` in group ``esrgan``."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = ["[esrgan]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for name, code in (modules or {}).items():
        (site / f"{name}.py").write_text(code)


def run_cli(args: list[str], *, pythonpath: list[Path] = (), env: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``esrgan-run ARGS`` in a fresh interpreter (so new dists are discovered)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    if pythonpath:
        full_env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), full_env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", "import sys; from esrgan_core.cli import main; sys.exit(main())", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout,
    )
