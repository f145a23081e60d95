"""What observer plugins see of a stage: :class:`RunView` (the :class:`~esrgan_core.hookspecs.TrainingRun`
protocol).

The view is read-only and holds no reference to the loop: an observer reads the trainer, the
stage's params, the accelerator, the iteration reached, the stage folder and the networks, and
can ask the stage to stop after the current iteration. The data, the training pairs, the state
store and the counters stay the loop's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from esrgan_core.trainer_api import TrainedNetworks
from esrgan_core.training.signals import StopRequest


class RunView:
    """The stage as observer hooks get it (their ``trainer`` argument): see ``TrainingRun``."""

    __slots__ = ("_trainer", "_params", "_accelerator", "_iteration", "_stop", "_stage_dir")

    def __init__(self, trainer: Any, params: Any, accelerator: Any, iteration: Callable[[], int],
                 stop: StopRequest, stage_dir: Path) -> None:
        self._trainer, self._params, self._accelerator = trainer, params, accelerator
        self._iteration, self._stop, self._stage_dir = iteration, stop, Path(stage_dir)

    @property
    def trainer(self) -> Any:
        """The stage's trainer (:class:`esrgan_core.contracts.Trainer`)."""
        return self._trainer

    @property
    def params(self) -> Any:
        """The stage's params (``params.name`` is the stage name)."""
        return self._params

    @property
    def accelerator(self) -> Any:
        """The run's ``accelerate.Accelerator`` (process index, device)."""
        return self._accelerator

    @property
    def iteration(self) -> int:
        """Iterations completed."""
        return self._iteration()

    @property
    def stop_reason(self) -> str | None:
        return self._stop.reason

    @property
    def stage_dir(self) -> Path:
        """The stage's folder (``experiments/<run>/<stage>/``)."""
        return self._stage_dir

    def networks(self) -> TrainedNetworks:
        """The trainer's networks (generator, EMA, discriminator), unwrapped."""
        return self._trainer.networks()

    def request_stop(self, reason: str) -> None:
        """Stop after the current iteration (a state is saved; re-running resumes)."""
        self._stop.request(reason)

    def __repr__(self) -> str:
        return f"RunView(stage={getattr(self._params, 'name', '?')!r}, iteration={self.iteration})"
