"""One validation of a stage at an iteration, as the loop runs it (the scoring is :mod:`.validation`).

On the main process: the validator scores the EMA generator, the best value per metric is kept in
the counters, the values go to ``metrics.jsonl``, the trackers and the log, and the curves are
redrawn. The values are then broadcast, so every process tells its observers
(``on_validation_end``) the same metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esrgan_core.training.counters import Counters
from esrgan_core.training.header import info
from esrgan_core.training.metrics_log import MetricsLog, plot_curves
from esrgan_core.training.stateio import broadcast
from esrgan_core.training.trackers import Trackers


class ValidationRound:
    """``run() -> {metric: value}`` at the view's iteration (empty without a validator anywhere)."""

    def __init__(self, validator: Any, view: Any, counters: Counters, hook: Any, *, mlog: MetricsLog | None,
                 trackers: Trackers, images: Path, curves: Path) -> None:
        self.validator, self.view, self.counters, self.hook = validator, view, counters, hook
        self.mlog, self.trackers, self.images, self.curves = mlog, trackers, images, curves

    def run(self) -> dict[str, float]:
        """Collective: validate, record, log; every process returns (and tells observers) the same values."""
        acc, it = self.view.accelerator, self.view.iteration
        metrics: dict[str, float] = {}
        if self.validator is not None and acc.is_main_process:
            metrics = self.validator.evaluate(self.view.networks().ema.eval(), acc.device, it, self.images)
            self.record(it, metrics)
        metrics = broadcast(metrics, acc)
        if metrics:
            self.hook.on_validation_end(trainer=self.view, iteration=it, metrics=metrics)
        return metrics

    def record(self, iteration: int, metrics: dict[str, float]) -> None:
        """Best values, ``metrics.jsonl``, trackers, the log line and the curves (main process)."""
        self.counters.record_best(metrics, self.validator.higher_is_better)
        best = self.counters.best
        if self.mlog is not None:
            self.mlog.log(iteration, "val", metrics)
        self.trackers.log({f"val/{k}": v for k, v in metrics.items()}, iteration)
        text = ", ".join(f"{k} {v:.4f} (best {best[k]['value']:.4f} @ {best[k]['iter']})" for k, v in metrics.items())
        info(self.view.accelerator, f"validation at iteration {iteration}: {text}")
        if self.mlog is not None:
            plot_curves(self.mlog.path, self.curves)
