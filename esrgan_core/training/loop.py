"""The iteration loop of one stage: data, pairs, steps, counters, and when to log, save and validate.

The loop owns everything but the optimisation itself: the data order, the training pairs (and the
pair augmentations), the iteration counters, the stop request and the
:class:`~esrgan_core.trainer_api.Outcome`. Order per iteration (BasicSR): train step(s) -> log ->
save -> validate. Its collaborators are small: observers get a :class:`~.view.RunView` (never the
loop), checkpoints go through a :class:`~.checkpoints.Checkpointer` over a
:class:`~.stateio.TrainingState` (each part saved by its own ``state_dict``), validations through a
:class:`~.validation_round.ValidationRound`, the start-up header comes from :mod:`.header`.

Ctrl-C (SIGINT) or SIGTERM, or an observer's ``request_stop(reason)``, ends the loop after the
current iteration with a saved state; a NaN/Inf loss saves a state of the weights before the bad
update and raises :class:`TrainingStopped`, as does an observer plugin that raises (after saving a
state) or a checkpoint that cannot be written (the newest complete state stays).
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from esrgan_core.errors import NonFiniteLossError, ObserverError
from esrgan_core.trainer_api import SEED_DATA, SEED_STEP, Outcome, StageContext, Step, TrainedNetworks
from esrgan_core.training.checkpoints import Checkpointer
from esrgan_core.training.counters import Counters
from esrgan_core.training.data import make_train_loader
from esrgan_core.training.header import ProgressFormatter, info, stage_header
from esrgan_core.training.metrics_log import MetricsLog, plot_curves
from esrgan_core.training.pairs import PairMaker
from esrgan_core.training.signals import StopRequest, TrainingStopped, any_stop, stop_on_signals
from esrgan_core.training.stateio import TrainingState
from esrgan_core.training.trackers import Trackers
from esrgan_core.training.validation_round import ValidationRound
from esrgan_core.training.view import RunView

__all__ = ["Counters", "StageLoop", "TrainingStopped"]


class StageLoop:
    """Runs ``trainer`` to its ``total_iter`` (resuming from the newest complete state).

    Observer hooks receive :attr:`view` (:class:`esrgan_core.hookspecs.TrainingRun`), not the loop.
    """

    def __init__(self, trainer: Any, params: Any, context: StageContext, train_set: Any, validator: Any, hook: Any) -> None:
        self.trainer, self.params, self.context = trainer, params, context
        self.train_set, self.hook = train_set, hook
        self.acc, self.run, self.layout = context.accelerator, context.run, context.layout
        registries = context.registries
        self.counters, self.stop = Counters(), StopRequest()
        self.outcome: Outcome | None = None
        self.pairs = PairMaker(self.run, registries, trainer.pair_request)
        counters = self.counters  # the view reads the iteration, nothing else of the loop
        self.view = RunView(trainer, params, self.acc, lambda: counters.iteration, self.stop, self.layout.dir)
        state = TrainingState(self.acc, shared={"trainer": trainer, "counters": counters}, per_rank={"pool": self.pairs})
        self.checkpoints = Checkpointer(self.layout, state, self.view, hook, keep=self.run.logger.keep_states,
                                        registries=registries, config_hash=context.config_hash, run_name=self.run.name)
        main = self.acc.is_main_process
        self.mlog = MetricsLog(self.layout.logs) if main else None
        self.trackers = Trackers.open(self.run.logger, self.layout.logs, f"{self.run.name}-{params.name}", enabled=main)
        self.validation = ValidationRound(validator, self.view, counters, hook, mlog=self.mlog, trackers=self.trackers,
                                          images=self.layout.visualization, curves=self.layout.curves)

    @property
    def iteration(self) -> int:
        return self.counters.iteration

    @property
    def stop_reason(self) -> str | None:
        return self.stop.reason

    def networks(self) -> TrainedNetworks:
        return self.trainer.networks()

    def resume(self) -> None:
        folder = self.checkpoints.resume()
        if folder is not None:
            info(self.acc, f"resumed stage {self.params.name!r} from {folder} (iteration {self.iteration})")
        if self.mlog is not None:
            self.mlog.resume(self.iteration)

    def header(self) -> None:
        for msg in stage_header(self.trainer, self.params.name, self.acc, dataset_size=len(self.train_set),
                                batch_per_device=self.run.datasets.train.batch_size_per_gpu, stage_dir=self.layout.dir):
            info(self.acc, msg)

    # -- the loop -----------------------------------------------------------------------------------
    def step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        """One micro-batch: the training pair (degradation, crop, pool, augmentations, USM), the trainer's step."""
        c = self.counters
        g = self.context.generator(SEED_STEP, self.acc.process_index, c.micro_step, device=self.acc.device)
        pair = self.pairs.make(batch, g, self.acc.device)
        logs = dict(self.trainer.train_step(pair, Step(c.iteration + 1, c.micro_step, g)))
        c.micro_step += 1
        if self.acc.sync_gradients:
            c.iteration += 1
        return logs

    def batches(self) -> Any:
        """The endless training batches from the micro-batch reached (the data order resumes exactly)."""
        dl = self.run.datasets.train
        return iter(make_train_loader(self.train_set, dl.batch_size_per_gpu, dl.num_worker_per_gpu,
                                      seed=self.context.seed_for(SEED_DATA),
                                      rank=self.acc.process_index, world=self.acc.num_processes,
                                      start=self.counters.micro_step))

    def run_loop(self) -> Outcome:
        """Train until ``total_iter`` or a stop request; returns the outcome."""
        self.resume()
        self.header()
        batches, total = self.batches(), self.trainer.total_iter
        progress = ProgressFormatter(total, self.iteration)
        self.hook.on_train_start(trainer=self.view)
        accum: dict[str, list[float]] = {}
        data_time = compute_time = 0.0
        with stop_on_signals(self.stop):
            while self.iteration < total:
                t0 = time.perf_counter()
                batch = next(batches)
                t1 = time.perf_counter()
                logs = self.guarded_step(batch)
                data_time += t1 - t0
                compute_time += time.perf_counter() - t1
                for k, v in logs.items():
                    accum.setdefault(k, []).append(v)
                if not self.acc.sync_gradients:
                    continue
                self.guarded_end({k: sum(v) / len(v) for k, v in accum.items()}, data_time, compute_time, progress)
                accum, data_time, compute_time = {}, 0.0, 0.0
                if any_stop(self.stop, self.acc):
                    self.checkpoints.save()
                    return Outcome.INTERRUPTED if self.stop.reason.startswith("signal") else Outcome.STOPPED
        return Outcome.DONE

    def guarded_step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        """:meth:`step`; a non-finite loss saves a state (weights before the bad update) and stops the run."""
        try:
            return self.step(batch)
        except NonFiniteLossError as exc:
            self.checkpoints.save()
            raise TrainingStopped(f"{exc}; stopped. A state of the weights before this iteration was "
                                  f"saved in {self.layout.state}; lower the learning rate or use "
                                  "gradient clipping (train.grad_clip) and re-run to resume") from None

    def guarded_end(self, logs: dict[str, float], data_time: float, compute_time: float, progress: ProgressFormatter) -> None:
        """:meth:`end_iteration`; a failing observer plugin saves a state and stops the run."""
        try:
            self.end_iteration(logs, data_time, compute_time, progress)
        except ObserverError as exc:
            self.checkpoints.save(notify=False)
            raise TrainingStopped(f"{exc}; the run stopped after saving a state of iteration {self.iteration} "
                                  f"in {self.layout.state}; fix or remove the plugin and re-run to resume") from None

    def end_iteration(self, logs: dict[str, float], data_time: float, compute_time: float, progress: ProgressFormatter) -> None:
        it, lr, total = self.iteration, self.trainer.lr(), self.trainer.total_iter
        record = {**logs, "lr": lr, "data_time": data_time, "compute_time": compute_time}
        if self.mlog is not None:
            self.mlog.log(it, "train", record)
        self.trackers.log({f"train/{k}": v for k, v in record.items()}, it)
        self.hook.on_iteration_end(trainer=self.view, iteration=it, logs=record)
        logger = self.run.logger
        if it % logger.print_freq == 0 or it == total:
            info(self.acc, progress.line(it, logs, lr=lr, data_time=data_time, compute_time=compute_time))
        if it % logger.save_checkpoint_freq == 0 and it != total:
            self.checkpoints.save()
        if self.run.datasets.val is not None and (it % self.run.val.val_freq == 0 or it == total):  # all ranks
            self.validation.run()

    def finish(self) -> None:
        """Final files of a completed stage: ``*_latest`` models and a state."""
        self.checkpoints.save("latest")
        if self.mlog is not None:
            plot_curves(self.mlog.path, self.layout.curves)
        self.close()

    def close(self) -> None:
        if self.mlog is not None:
            self.mlog.close()
        self.trackers.finish()
