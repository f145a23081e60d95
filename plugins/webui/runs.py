"""The Runs view's service: training runs found under the root, read from their folders' files.

A run folder is one holding ``config.yml`` or stage folders (:mod:`esrgan_core.runlayout`), directly
under the root or one level deeper. Status: **finished** when every stage named in ``config.yml``
has its ``DONE`` file, **running** when not and a stage's ``metrics.jsonl`` or ``train.log`` changed
within :data:`RUNNING_WINDOW_S` seconds, **stopped** otherwise.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from esrgan_core.images import IMAGE_EXTENSIONS
from esrgan_core.runlayout import RunLayout, StageLayout, export_tag_key
from esrgan_core.training.metrics_log import read_metrics
from esrgan_core.yamlio import parse_yaml
from esrgan_plugins.webui.paths import relative, relatives

RUNNING_WINDOW_S = 120.0
ITER_RE = re.compile(r"^(?P<name>.+)_(?P<iter>\d+)$")
HIGHER_IS_BETTER = ("psnr", "ssim")


def _is_run(folder: Path) -> bool:
    return (folder / "config.yml").is_file() or bool(RunLayout(folder).stages_present())


def find_runs(root: Path) -> list[Path]:
    """Run folders directly under ``root`` or one level deeper (symlinks out of the root skipped)."""
    base, found = root.resolve(), []
    for child in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
        if base not in child.resolve().parents:
            continue
        if _is_run(child):
            found.append(child)
        else:
            found += [g for g in sorted(child.iterdir()) if g.is_dir() and base in g.resolve().parents and _is_run(g)]
    return found


def planned_stages(run: Path) -> list[str]:
    """Stage names in the run's ``config.yml`` (in order); [] when there is none or it is unreadable."""
    cfg = RunLayout(run).config
    try:
        data, _ = parse_yaml(cfg.read_text(encoding="utf-8"), file=str(cfg))
    except Exception:  # an unreadable config: the folders alone tell the stages
        return []
    stages = data.get("stages") if isinstance(data, dict) else None
    return [str(s["name"]) for s in stages or [] if isinstance(s, dict) and "name" in s]


def _stages(run: Path) -> list[StageLayout]:
    layout = RunLayout(run)
    names = planned_stages(run)
    present = {s.name: s for s in layout.stages_present()}
    extra = [s for n, s in present.items() if n not in names]
    return [present.get(n, layout.stage(n)) for n in names] + extra


def _best(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Best validation value of each metric (max for PSNR/SSIM, min otherwise) and its iteration."""
    best: dict[str, dict[str, float]] = {}
    for rec in records:
        if rec.get("kind") != "val":
            continue
        for key, value in rec.items():
            if key in ("iter", "kind") or not isinstance(value, (int, float)):
                continue
            up = any(key.lower().startswith(h) for h in HIGHER_IS_BETTER)
            old = best.get(key)
            if old is None or (value > old["value"] if up else value < old["value"]):
                best[key] = {"value": float(value), "iter": int(rec["iter"])}
    return best


def run_summary(root: Path, run: Path, now: float | None = None) -> dict[str, Any]:
    """What the runs list shows of one run: status, stages (done, last iteration, best metrics)."""
    now = time.time() if now is None else now
    stages, newest = [], 0.0
    for s in _stages(run):
        records = read_metrics(s.metrics_file)
        for f in (s.metrics_file, s.train_log):
            newest = max(newest, f.stat().st_mtime if f.is_file() else 0.0)
        stages.append({"name": s.name, "done": s.done_file.is_file(), "iter": max((r["iter"] for r in records), default=0),
                       "best": _best(records), "models": relatives(root, sorted(s.ema_exports(), key=export_tag_key))})
    if stages and all(s["done"] for s in stages):
        status = "finished"
    else:
        status = "running" if now - newest < RUNNING_WINDOW_S else "stopped"
    return {"path": relative(root, run) or run.name, "name": run.name, "status": status, "stages": stages}


def run_detail(root: Path, run: Path) -> dict[str, Any]:
    """Everything the run page shows: the summary, curves' records, images per iteration, the config."""
    detail = run_summary(root, run)
    layout = RunLayout(run)
    detail["metrics"] = {s.name: read_metrics(s.metrics_file) for s in _stages(run)}
    detail["images"] = {s.name: validation_images(root, s) for s in _stages(run)}
    compare = layout.compare
    detail["compare"] = relatives(root, [p for p in sorted(compare.glob("*")) if p.suffix.lower() in IMAGE_EXTENSIONS]) \
        if compare.is_dir() else []
    detail["config"] = layout.config.read_text(encoding="utf-8") if layout.config.is_file() else ""
    return detail


def validation_images(root: Path, stage: StageLayout) -> dict[str, list[dict[str, Any]]]:
    """``visualization/<image>/<image>_<iter>.png`` as {image: [{iter, path}, ...] sorted by iteration}."""
    out: dict[str, list[dict[str, Any]]] = {}
    vis = stage.visualization
    for folder in sorted(p for p in vis.iterdir() if p.is_dir()) if vis.is_dir() else []:
        items = []
        for f in folder.iterdir():
            m = ITER_RE.match(f.stem)
            name = relative(root, f)
            if m and name is not None and f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file():
                items.append({"iter": int(m["iter"]), "path": name})
        if items:
            out[folder.name] = sorted(items, key=lambda d: d["iter"])
    return out
