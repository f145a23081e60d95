"""``esrgan-run fit-degradation --real DIR [--hr DIR] --base R -o fitted.yml``: fit a recipe to real LR images.

Scores the base recipe, the fitted one and Real-ESRGAN x4plus with the realism distance
(:mod:`esrgan_core.degradation.realism`), writes ``fitted.yml`` (a ``task: preview`` config with ``scale`` and ``stages``,
so ``esrgan-run validate`` checks it and its stages paste into ``degradation:``) and a
``fitted.json`` beside it with the search history and the numbers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from esrgan_core.atomic import atomic_write_text
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.errors import ConfigError
from esrgan_core.registry import Registries


def configure(parser: Any) -> None:
    from esrgan_plugins.degradations.realism_cli import add_realism_arguments

    parser.add_argument("--base", default="realesrgan_x4plus", help="preset name or recipe YAML whose ranges are fitted")
    parser.add_argument("-o", "--output", required=True, help="fitted recipe to write (YAML)")
    parser.add_argument("--candidates", type=int, default=24, help="random candidates (the base is the first)")
    parser.add_argument("--rounds", type=int, default=3, help="refinement rounds around the best")
    parser.add_argument("--per-round", type=int, default=6, help="candidates per refinement round")
    parser.add_argument("--objective", choices=("stats", "kid", "both"), default="both",
                        help="distance minimised: statistics, KID, or stats + 100 KID")
    parser.add_argument("--tolerance", type=float, default=0.2, help="widen ranges to candidates within this relative gap")
    parser.add_argument("--compare", default="realesrgan_x4plus", help="recipe reported next to the fit")
    parser.add_argument("--seed", type=int, default=0)
    add_realism_arguments(parser)


def fit(base: str, real: Path, hr: Path | None, output: Path, registries: Registries, setup: Any, *,
        objective: str = "both", compare: str | None = "realesrgan_x4plus", **search_kw: Any) -> dict[str, Any]:
    """Run the fit; returns the summary written to ``<output>.json``."""
    from esrgan_core.degradation.realism import build_evaluator, load_recipe
    from esrgan_plugins.degradations.fit import search

    stages, scale, label = load_recipe(base)
    Pipeline.from_dicts(stages, registries, path="stages")
    out = Path(output)
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise ConfigError(f"cannot write {out}: {out.parent} is not a writable folder", path="output")
    if objective != "stats" and not setup.kid:
        raise ConfigError(f"objective {objective!r} needs KID; drop --no-kid or use --objective stats", path="objective")
    ev = build_evaluator(real, hr, scale, registries, setup)
    result = search(lambda s: ev.objective(ev.evaluate(s), objective), stages, registries, **search_kw)
    fitted = ev.evaluate(result.stages)
    summary: dict[str, Any] = {"base": label, "objective": objective, "scale": scale, "search_space": result.labels,
                               "base_distance": result.base, "best_distance": result.best,
                               "fitted_distance": ev.objective(fitted, objective), "fitted": fitted,
                               "evaluations": len(result.history)}
    if compare:
        c_stages, c_scale, _ = load_recipe(compare)
        if c_scale == scale:
            summary["compare"] = {"recipe": compare, "distance": ev.objective(ev.evaluate(c_stages), objective)}
    note = (f"# Fitted by esrgan-run fit-degradation to {real} (base {label}, objective {objective}):\n"
            f"# distance {summary['fitted_distance']:.4g} (base {result.base:.4g}"
            + (f", {compare} {summary['compare']['distance']:.4g}" if "compare" in summary else "") + ")\n")
    doc = {"task": "preview", "scale": scale, "stages": result.stages}
    atomic_write_text(out, note + yaml.safe_dump(doc, sort_keys=False))
    history = [{"distance": h["value"], "x": [round(float(v), 5) for v in h["x"]]} for h in result.history]
    atomic_write_text(out.with_suffix(".json"), json.dumps({**summary, "history": history}, indent=1) + "\n")
    return summary


def handle(args: Any) -> int:
    from esrgan_core.plugins import load_plugins
    from esrgan_plugins.degradations.realism_cli import setup_from_args

    if not args.real:
        raise ConfigError("--real DIR (the real LR images to fit) is required", path="real")
    host = load_plugins()
    s = fit(args.base, Path(args.real), Path(args.hr) if args.hr else None, Path(args.output), host.registries,
            setup_from_args(args), objective=args.objective, compare=args.compare, candidates=args.candidates,
            rounds=args.rounds, per_round=args.per_round, seed=args.seed, tolerance=args.tolerance)
    extra = f", {s['compare']['recipe']} {s['compare']['distance']:.4g}" if "compare" in s else ""
    print(f"fit-degradation: distance {s['fitted_distance']:.4g} (base {s['base_distance']:.4g}{extra}) "
          f"after {s['evaluations']} candidates over {', '.join(s['search_space'])}")
    print(f"wrote {args.output}")
    return 0
