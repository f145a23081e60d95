"""The ``train`` task: the run folder, one Accelerator, every stage in order, the optional comparison.

``experiments/<name>/`` (:class:`esrgan_core.runlayout.RunLayout`) holds ``config.yml`` (the
resolved config as run) and one folder per stage. Re-running the same command resumes: finished
stages (``DONE``) are skipped and the current one continues from its newest complete state.
``--fresh`` renames the old run folder to ``<name>_archived_<time>`` and starts over. A stage after
the first starts from the previous stage's EMA weights (``path.init_from_previous``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import yaml

from esrgan_core import photos
from esrgan_core.atomic import atomic_write_text, clean_stale_temps
from esrgan_core.context import RunContext
from esrgan_core.observers import ObserverHooks
from esrgan_core.runlayout import RunLayout, StageLayout
from esrgan_core.schema import to_plain
from esrgan_core.seeding import set_deterministic
from esrgan_core.trainer_api import Outcome, StageContext
from esrgan_core.training.accel import make_accelerator, partial_state
from esrgan_core.training.checkpoints import latest_ema
from esrgan_core.training.config import stage_precision
from esrgan_core.training.loop import StageLoop
from esrgan_core.training.validation import Validator

log = logging.getLogger("esrgan.train")


def resolved_config(run: Any) -> str:
    return yaml.safe_dump({"task": "train", **to_plain(run)}, sort_keys=False)


def prepare_run_dir(run: Any, fresh: bool) -> RunLayout:
    """The run folder (created); with ``fresh`` an existing one is renamed first."""
    state = partial_state()
    layout = RunLayout.of(run.experiments_root, run.name)
    root = layout.root
    if state.is_main_process:
        if fresh and root.exists():
            archived = root.with_name(f"{root.name}_archived_{time.strftime('%Y%m%d_%H%M%S')}")
            root.rename(archived)
            log.info("--fresh: moved the previous run folder to %s", archived)
        root.mkdir(parents=True, exist_ok=True)
        for leftover in clean_stale_temps(root, recursive=True):
            log.info("removed %s (left by an interrupted write)", leftover)
        text = resolved_config(run)
        if layout.config.is_file() and layout.config.read_text(encoding="utf-8") != text:
            log.warning("the config differs from the one this run folder was started with (%s); resuming anyway "
                        "(use --fresh to start over)", layout.config)
        atomic_write_text(layout.config, text)
    state.wait_for_everyone()
    return layout


def _file_handler(layout: StageLayout) -> logging.Handler | None:
    if not partial_state().is_main_process:
        return None
    layout.logs.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(layout.train_log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("esrgan").addHandler(handler)
    logging.getLogger("esrgan").setLevel(logging.INFO)
    return handler


def run_stage(sctx: StageContext, hook: Any) -> StageLoop | None:
    """Train one stage (or skip it when done); returns its loop (``loop.outcome`` set), None when skipped.
    ``hook``: the plugin host's hook (observers are called through it)."""
    run, layout = sctx.run, sctx.layout
    spec = run.stages[sctx.index]
    if layout.done_file.is_file():
        log.info("stage %r is complete (%s); skipping it", spec.params.name, layout.done_file)
        return None
    trainer = sctx.build(spec, sctx)
    train_set = sctx.build(run.datasets.train.dataset, base_dir=sctx.base_dir)
    main = sctx.accelerator.is_main_process
    validator = Validator(run, sctx, sctx.base_dir) if run.datasets.val is not None and main else None
    hooks = ObserverHooks(hook)  # a raising observer is reported with its plugin's name
    loop = StageLoop(trainer, spec.params, sctx, train_set, validator, hooks)
    try:
        loop.outcome = loop.run_loop()
        if loop.outcome is Outcome.DONE:
            loop.finish()
            if main:
                atomic_write_text(layout.done_file, f"{loop.iteration}\n")
        hooks.on_train_end(trainer=loop.view, iteration=loop.iteration)
    finally:
        loop.close()
        sctx.accelerator.free_memory()  # the next stage prepares (and saves) only its own objects
    return loop


def run_training(run: Any, ctx: RunContext) -> int:
    """Task entry point: ``factory(params, context) -> exit code``."""
    logging.getLogger("accelerate").setLevel(logging.WARNING)  # its per-file save/load messages
    layout = prepare_run_dir(run, ctx.fresh)
    config_hash = hashlib.sha256(resolved_config(run).encode()).hexdigest()[:16]
    set_deterministic(run.deterministic)
    accelerator = make_accelerator(stage_precision(run.stages[0]))  # one per run (validated equal)
    base_dir = photos.base_dir()
    previous = None
    for i, spec in enumerate(run.stages):
        stage = layout.stage(spec.params.name)
        handler = _file_handler(stage)
        try:
            sctx = StageContext(run=run, index=i, layout=stage, accelerator=accelerator, registries=ctx.registries,
                                base_dir=base_dir, previous_ema=previous, config_hash=config_hash)
            loop = run_stage(sctx, ctx.hook)
        finally:
            if handler is not None:
                logging.getLogger("esrgan").removeHandler(handler)
                handler.close()
        if loop is not None and loop.outcome is not Outcome.DONE:
            log.info("stopped (%s) at iteration %d of stage %r; run the same command again to resume",
                     loop.stop_reason, loop.iteration, spec.params.name)
            return loop.outcome.exit_code
        previous = latest_ema(stage)
    if run.compare is not None and partial_state().is_main_process:
        from esrgan_core.training.compare import compare_stages

        compare_stages(run, ctx, layout)
    return 0
