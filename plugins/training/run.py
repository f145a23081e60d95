"""The ``train`` task: the run folder, then every stage in order, then the optional comparison.

``experiments/<name>/`` holds ``config.yml`` (the resolved config as run) and one folder per
stage (``<stage name>/`` with ``models/``, ``state/``, ``logs/``, ``visualization/``). Re-running
the same command resumes: finished stages (``DONE``) are skipped and the current one continues
from its newest complete state. ``--fresh`` renames the old run folder to
``<name>_archived_<time>`` and starts over. A stage after the first starts from the previous
stage's EMA weights (``path.init_from_previous``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import yaml

from esrgan_core.atomic import atomic_write_text, clean_stale_temps
from esrgan_core.context import RunContext
from esrgan_core.observers import ObserverHooks
from esrgan_core.schema import to_plain
from esrgan_plugins.training.accel import partial_state
from esrgan_plugins.training.base import StageContext
from esrgan_plugins.training.checkpoints import read_pretrained
from esrgan_plugins.training.loop import StageLoop, stage_done_file
from esrgan_plugins.training.validation import Validator

log = logging.getLogger("esrgan.train")


def resolved_config(run: Any) -> str:
    return yaml.safe_dump({"task": "train", **to_plain(run)}, sort_keys=False)


def prepare_run_dir(run: Any, fresh: bool) -> Path:
    """``experiments_root/name`` (created); with ``fresh`` an existing one is renamed first."""
    state = partial_state()
    root = Path(run.experiments_root) / run.name
    if state.is_main_process:
        if fresh and root.exists():
            archived = root.with_name(f"{root.name}_archived_{time.strftime('%Y%m%d_%H%M%S')}")
            root.rename(archived)
            log.info("--fresh: moved the previous run folder to %s", archived)
        root.mkdir(parents=True, exist_ok=True)
        for leftover in clean_stale_temps(root, recursive=True):
            log.info("removed %s (left by an interrupted write)", leftover)
        text = resolved_config(run)
        cfg = root / "config.yml"
        if cfg.is_file() and cfg.read_text(encoding="utf-8") != text:
            log.warning("the config differs from the one this run folder was started with (%s); resuming anyway "
                        "(use --fresh to start over)", cfg)
        atomic_write_text(cfg, text)
    state.wait_for_everyone()
    return root


def _file_handler(stage_dir: Path) -> logging.Handler | None:
    if not partial_state().is_main_process:
        return None
    (stage_dir / "logs").mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(stage_dir / "logs" / "train.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("esrgan").addHandler(handler)
    logging.getLogger("esrgan").setLevel(logging.INFO)
    return handler


def run_stage(run: Any, ctx: RunContext, index: int, stage_dir: Path, previous_ema: Any, config_hash: str) -> Any:
    """Train one stage (or skip it when done); returns the trainer, or None when skipped."""
    spec = run.stages[index]
    if stage_done_file(stage_dir).is_file():
        log.info("stage %r is complete (%s); skipping it", spec.params.name, stage_done_file(stage_dir))
        return None
    base_dir = Path.cwd()  # relative paths in configs follow the working directory, as in BasicSR
    sctx = StageContext(run, ctx, index, stage_dir, base_dir, previous_ema, config_hash)
    trainer = spec.build(ctx.registries, sctx)
    train_set = ctx.build(run.datasets.train.dataset, base_dir=base_dir)
    validator = Validator(run, ctx, base_dir) if run.datasets.val is not None and trainer.accelerator.is_main_process else None
    hooks = ObserverHooks(ctx.hook)  # a raising observer is reported with its plugin's name
    loop = StageLoop(trainer, train_set, validator, hooks)
    try:
        outcome = loop.run_loop()
        if outcome == "done":
            loop.finish()
            if trainer.accelerator.is_main_process:
                atomic_write_text(stage_done_file(stage_dir), f"{trainer.iteration}\n")
        hooks.on_train_end(trainer=trainer, iteration=trainer.iteration)
    finally:
        loop.close()
    trainer.outcome = outcome
    return trainer


def latest_ema(stage_dir: Path) -> Any:
    """The EMA weights a finished stage saved (``models/net_g_latest.pth``)."""
    return read_pretrained(str(stage_dir / "models" / "net_g_latest.pth"), "params_ema")[0]


def preflight(run: Any) -> None:
    """Files every stage's losses need (pretrained backbones), checked before the first stage starts."""
    for spec in run.stages:
        for loss in spec.params.train.losses:
            check = getattr(loss.params, "preflight", None)
            if callable(check):
                check()


def run_training(run: Any, ctx: RunContext) -> int:
    """Task entry point: ``factory(params, context) -> exit code``."""
    preflight(run)
    logging.getLogger("accelerate").setLevel(logging.WARNING)  # its per-file save/load messages
    root = prepare_run_dir(run, ctx.fresh)
    config_hash = hashlib.sha256(resolved_config(run).encode()).hexdigest()[:16]
    previous = None
    for i, spec in enumerate(run.stages):
        stage_dir = root / spec.params.name
        handler = _file_handler(stage_dir)
        try:
            trainer = run_stage(run, ctx, i, stage_dir, previous, config_hash)
        finally:
            if handler is not None:
                logging.getLogger("esrgan").removeHandler(handler)
                handler.close()
        if trainer is not None and trainer.outcome != "done":
            log.info("stopped (%s) at iteration %d of stage %r; run the same command again to resume",
                     trainer.outcome.removeprefix("stopped: "), trainer.iteration, spec.params.name)
            return 130 if "signal" in trainer.outcome else 0
        previous = latest_ema(stage_dir)
    if run.compare is not None and partial_state().is_main_process:
        from esrgan_plugins.training.compare import compare_stages

        compare_stages(run, ctx, root)
    return 0
