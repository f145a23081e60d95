"""The playground's realism measure: how close the edited recipe's LR is to a folder of real LR images.

It is the core's measure (:mod:`esrgan_core.degradation.realism`, the one ``esrgan-run preview --real``
reports): HR crops of the built-in photos degraded by the stage list, against random patches of every
image in the real-LR folder, compared by the statistics of
:mod:`esrgan_core.degradation.realism_stats` and, when asked, KID on the FID Inception (the ``fid``
metric, by name). The folder is a name under the server's root, confined like every other path.
The sample counts are small by default and bounded, so a measure stays a short job of the queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esrgan_core.degradation.realism import RealismSetup, build_evaluator, toggle_report
from esrgan_core.errors import ConfigError, DataError
from esrgan_plugins.webui import lab
from esrgan_plugins.webui.paths import PathRefused, confine

LIMITS = {"patch": (16, 128), "synthetic": (2, 256), "per_image": (1, 32)}
DEFAULTS = {"patch": 32, "synthetic": 16, "per_image": 4}


def setup_of(body: dict[str, Any], seed: int) -> RealismSetup:
    """The sample counts of a request (defaults :data:`DEFAULTS`, bounded by :data:`LIMITS`)."""
    values: dict[str, int] = {}
    for key, (low, high) in LIMITS.items():
        value = body.get(key, DEFAULTS[key])
        try:
            values[key] = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"expected a whole number, got {value!r}", path=key) from None
        if not low <= values[key] <= high:
            raise ConfigError(f"must be {low}..{high}, got {values[key]}", path=key)
    return RealismSetup(kid=bool(body.get("kid", True)), seed=seed, **values)


def real_folder(root: Path, name: str) -> Path:
    """The real-LR folder ``name`` under ``root`` (refused outside it, or when it is not a folder)."""
    if not isinstance(name, str) or not name.strip():
        raise PathRefused("name a folder of real LR images under the root")
    folder = confine(root, name)
    if not folder.is_dir():
        raise PathRefused(f"{name!r} is not a folder")
    return folder


def measure(host: Any, root: Path, name: str, stages_text: str, scale: int, setup: RealismSetup,
            toggles: bool = True) -> dict[str, Any]:
    """The realism report of the stage list against ``<root>/<name>``: the whole recipe and, with
    ``toggles``, each top-level stage left out (rows as ``preview --real`` writes them)."""
    data, _ = lab.recipe_data(stages_text, scale, 1, setup.seed, setup.patch * scale)
    stages = data["stages"]
    folder = real_folder(root, name)
    try:
        ev = build_evaluator(folder, None, scale, host.registries, setup)
    except DataError as exc:  # name the folder as the page does, not by its place on the server
        raise DataError(str(exc).replace(str(folder), name, 1)) from None
    rows = toggle_report(ev, stages) if toggles else [{"variant": "full recipe", **ev.evaluate(stages)}]
    return {"real": name, "scale": scale, "patch": setup.patch, "seed": setup.seed, "real_patches": ev.real_count,
            "synthetic_patches": len(ev.hr), "hr": "built-in photos",
            "real_means": {k: float(v.mean()) for k, v in ev.real_stats.items()}, "rows": rows}
