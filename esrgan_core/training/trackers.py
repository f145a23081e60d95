"""Experiment trackers through Accelerate's tracker classes: TensorBoard and (when installed) wandb.

Only the main process logs. A resumed stage logs into the same TensorBoard folder
(``logs/tensorboard/<run>``) and, for wandb, the same run id (``resume="allow"``), so curves
continue where they stopped. A tracker whose package is missing is switched off with one warning.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger("esrgan.train")


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class Trackers:
    """``log(values, step)`` to every open tracker; ``finish()`` at the end of a stage."""

    def __init__(self, trackers: list[Any]) -> None:
        self.trackers = trackers

    @classmethod
    def open(cls, logger_params: Any, logs_dir: Path, run_name: str, enabled: bool = True) -> Trackers:
        if not enabled:
            return cls([])
        trackers: list[Any] = []
        if getattr(logger_params, "use_tb_logger", False):
            if _available("tensorboard"):
                from accelerate.tracking import TensorBoardTracker

                trackers.append(TensorBoardTracker(run_name, logs_dir / "tensorboard", flush_secs=30))
            else:
                log.warning("TensorBoard logging is off: the tensorboard package is not installed "
                            "(pip install 'esrgan[tensorboard]'); metrics.jsonl and curves.png are still written")
        if getattr(logger_params, "wandb", False):
            if _available("wandb"):
                from accelerate.tracking import WandBTracker

                run_id = hashlib.sha1(str(logs_dir.resolve()).encode()).hexdigest()[:16]
                trackers.append(WandBTracker(run_name, id=run_id, resume="allow", dir=str(logs_dir)))
            else:
                log.warning("wandb logging is off: the wandb package is not installed")
        for tracker in trackers:
            start = getattr(tracker, "start", None)  # accelerate >= 1.x opens the writer in start()
            if callable(start):
                start()
        return cls(trackers)

    def log(self, values: Mapping[str, float], step: int) -> None:
        scalars = {k: float(v) for k, v in values.items() if isinstance(v, (int, float))}
        for tracker in self.trackers:
            tracker.log(scalars, step=step)

    def finish(self) -> None:
        for tracker in self.trackers:
            tracker.finish()
        self.trackers = []
