"""The iteration loop of one stage: data, pairs, steps, counters, logging, validation, checkpoints.

The loop owns everything but the optimisation itself: the data order, the training pairs (and the
pair augmentations), the iteration counters and best validation values, the stop requests and the
:class:`~esrgan_core.trainer_api.Outcome`. Order per iteration (BasicSR): train step(s) -> log ->
save -> validate. Ctrl-C (SIGINT) or SIGTERM, or an observer's ``request_stop(reason)``, ends the
loop after the current iteration with a saved state; a NaN/Inf loss saves a state of the weights
before the bad update and raises :class:`TrainingStopped`, as does an observer plugin that raises
(after saving a state) or a checkpoint that cannot be written (the newest complete state stays).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping

import attrs

from esrgan_core.errors import EsrganError, NonFiniteLossError, ObserverError
from esrgan_core.seeding import make_generator, mix_seed
from esrgan_core.trainer_api import SEED_DATA, SEED_STEP, Outcome, StageContext, Step, TrainedNetworks
from esrgan_core.training.checkpoints import save_models
from esrgan_core.training.data import make_train_loader
from esrgan_core.training.header import ProgressFormatter, startup_header
from esrgan_core.training.metrics_log import MetricsLog, plot_curves
from esrgan_core.training.pairs import PairMaker
from esrgan_core.training.signals import any_stop, stop_on_signals
from esrgan_core.training.stateio import latest_state, open_store, read_state, save_state
from esrgan_core.training.trackers import Trackers

log = logging.getLogger("esrgan.train")


class TrainingStopped(EsrganError):
    """The run stopped on a non-finite loss (a state from before it was saved)."""


@attrs.define
class Counters:
    """Saved in every training state: progress and best validation values."""

    iteration: int = 0
    micro_step: int = 0
    best: dict = attrs.Factory(dict)

    def state_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "micro_step": self.micro_step, "best": dict(self.best)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.iteration, self.micro_step = int(state["iteration"]), int(state["micro_step"])
        self.best = dict(state.get("best", {}))

    def record_best(self, metrics: Mapping[str, float], higher_is_better: Callable[[str], bool]) -> None:
        for name, value in metrics.items():
            old = self.best.get(name)
            if old is None or (value > old["value"] if higher_is_better(name) else value < old["value"]):
                self.best[name] = {"value": value, "iter": self.iteration}


class StageLoop:
    """Runs ``trainer`` to its ``total_iter`` (resuming from the newest complete state).

    Observer hooks receive this object (:class:`esrgan_core.hookspecs.TrainingRun`).
    """

    def __init__(self, trainer: Any, params: Any, context: StageContext, train_set: Any, validator: Any, hook: Any) -> None:
        self.trainer, self.params, self.context = trainer, params, context
        self.train_set, self.validator, self.hook = train_set, validator, hook
        self.acc, self.run, self.layout = context.accelerator, context.run, context.layout
        self.counters = Counters()
        self.stop_reason: str | None = None
        self.outcome: Outcome | None = None
        self.pairs = PairMaker(self.run, context.registries, trainer.pair_request)
        self.store = open_store(self.layout.dir, self.run.logger.keep_states, self.acc)
        self.mlog = MetricsLog(self.layout.logs) if self.acc.is_main_process else None
        self.trackers = Trackers.open(self.run.logger, self.layout.logs, f"{self.run.name}-{params.name}",
                                      enabled=self.acc.is_main_process)

    # -- the view observers get --------------------------------------------------------------------
    @property
    def iteration(self) -> int:
        return self.counters.iteration

    def request_stop(self, reason: str) -> None:
        """Stop after the current iteration (observer plugins and signal handlers call this)."""
        self.stop_reason = reason

    @property
    def accelerator(self) -> Any:
        return self.acc

    def networks(self) -> TrainedNetworks:
        return self.trainer.networks()

    def info(self, msg: str) -> None:
        if self.acc.is_main_process:
            log.info(msg)

    # -- states and files ---------------------------------------------------------------------------
    def resume(self) -> None:
        state = latest_state(self.store, self.acc)
        if state is not None:
            read_state(self, state)
            self.info(f"resumed stage {self.params.name!r} from {state} (iteration {self.iteration})")
        if self.mlog is not None:
            self.mlog.resume(self.iteration)

    def save_checkpoint(self, tag: str | None = None, notify: bool = True) -> None:
        try:
            paths = save_models(self.layout, tag or str(self.iteration), self.networks(), iteration=self.iteration,
                                config_hash=self.context.config_hash, registries=self.context.registries,
                                source=f"{self.run.name}/{self.params.name}") if self.acc.is_main_process else []
            state = save_state(self, self.store, {"stage": self.params.name, "run": self.run.name})
        except OSError as exc:  # folder made read-only, disk full, a file in the way...
            raise TrainingStopped(f"cannot write the checkpoint of iteration {self.iteration} in {self.layout.dir}: "
                                  f"{exc.strerror or exc} ({exc.filename or ''}); stopped. The newest complete "
                                  "state is kept: make the folder writable and re-run to resume") from None
        for p in [*paths, state] if notify else []:
            self.hook.on_checkpoint_saved(trainer=self, iteration=self.iteration, path=str(p))
        self.info(f"saved models and state at iteration {self.iteration} -> {state}")

    def validate(self) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.validator is not None and self.acc.is_main_process:
            metrics = self.validator.evaluate(self.networks().ema.eval(), self.acc.device, self.iteration,
                                              self.layout.visualization)
            self.counters.record_best(metrics, self.validator.higher_is_better)
            best = self.counters.best
            self.mlog.log(self.iteration, "val", metrics)
            self.trackers.log({f"val/{k}": v for k, v in metrics.items()}, self.iteration)
            text = ", ".join(f"{k} {v:.4f} (best {best[k]['value']:.4f} @ {best[k]['iter']})" for k, v in metrics.items())
            self.info(f"validation at iteration {self.iteration}: {text}")
            plot_curves(self.mlog.path, self.layout.curves)
        if self.acc.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            box = [metrics]
            broadcast_object_list(box, from_process=0)
            metrics = box[0]
        if metrics:
            self.hook.on_validation_end(trainer=self, iteration=self.iteration, metrics=metrics)
        return metrics

    def header(self) -> None:
        nets = self.networks()
        counts = {"network_g": sum(p.numel() for p in nets.ema.parameters())}
        if nets.discriminator is not None:
            counts["network_d"] = sum(p.numel() for p in nets.discriminator.parameters())
        self.info(startup_header(self.acc, dataset_size=len(self.train_set), batch_per_device=self.run.datasets.train.batch_size_per_gpu,
                                 grad_accum=self.acc.gradient_accumulation_steps, param_counts=counts))
        for line in self.trainer.load_reports:
            self.info(f"  {line}")
        self.info(f"  stage      {self.params.name!r} ({type(self.trainer).__name__}), {self.trainer.total_iter} iterations, "
                  f"folder {self.layout.dir}")

    # -- the loop -----------------------------------------------------------------------------------
    def step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        """One micro-batch: the training pair (degradation, crop, pool, augmentations, USM), the trainer's step."""
        c = self.counters
        g = make_generator(self.run.seed, self.context.index, SEED_STEP, self.acc.process_index, c.micro_step,
                           device=self.acc.device)
        pair = self.pairs.make(batch, g, self.acc.device)
        logs = dict(self.trainer.train_step(pair, Step(c.iteration + 1, c.micro_step, g)))
        c.micro_step += 1
        if self.acc.sync_gradients:
            c.iteration += 1
        return logs

    def run_loop(self) -> Outcome:
        """Train until ``total_iter`` or a stop request; returns the outcome."""
        self.resume()
        self.header()
        dl = self.run.datasets.train
        loader = make_train_loader(self.train_set, dl.batch_size_per_gpu, dl.num_worker_per_gpu,
                                   seed=mix_seed(self.run.seed, self.context.index, SEED_DATA), rank=self.acc.process_index,
                                   world=self.acc.num_processes, start=self.counters.micro_step)
        batches = iter(loader)
        total = self.trainer.total_iter
        progress = ProgressFormatter(total, self.iteration)
        self.hook.on_train_start(trainer=self)
        accum: dict[str, list[float]] = {}
        data_time = compute_time = 0.0
        with stop_on_signals(self):
            while self.iteration < total:
                t0 = time.perf_counter()
                batch = next(batches)
                t1 = time.perf_counter()
                try:
                    logs = self.step(batch)
                except NonFiniteLossError as exc:
                    self.save_checkpoint()
                    raise TrainingStopped(f"{exc}; stopped. A state of the weights before this iteration was "
                                          f"saved in {self.layout.state}; lower the learning rate or use "
                                          "gradient clipping (train.grad_clip) and re-run to resume") from None
                data_time += t1 - t0
                compute_time += time.perf_counter() - t1
                for k, v in logs.items():
                    accum.setdefault(k, []).append(v)
                if not self.acc.sync_gradients:
                    continue
                try:
                    self.end_iteration({k: sum(v) / len(v) for k, v in accum.items()}, data_time, compute_time, progress)
                except ObserverError as exc:
                    self.save_checkpoint(notify=False)
                    raise TrainingStopped(f"{exc}; the run stopped after saving a state of iteration {self.iteration} "
                                          f"in {self.layout.state}; fix or remove the plugin and re-run to resume") from None
                accum, data_time, compute_time = {}, 0.0, 0.0
                if any_stop(self):
                    self.save_checkpoint()
                    return Outcome.INTERRUPTED if self.stop_reason.startswith("signal") else Outcome.STOPPED
        return Outcome.DONE

    def end_iteration(self, logs: dict[str, float], data_time: float, compute_time: float, progress: ProgressFormatter) -> None:
        it, lr = self.iteration, self.trainer.lr()
        record = {**logs, "lr": lr, "data_time": data_time, "compute_time": compute_time}
        if self.mlog is not None:
            self.mlog.log(it, "train", record)
        self.trackers.log({f"train/{k}": v for k, v in record.items()}, it)
        self.hook.on_iteration_end(trainer=self, iteration=it, logs=record)
        if it % self.run.logger.print_freq == 0 or it == self.trainer.total_iter:
            self.info(progress.line(it, logs, lr=lr, data_time=data_time, compute_time=compute_time))
        if it % self.run.logger.save_checkpoint_freq == 0 and it != self.trainer.total_iter:
            self.save_checkpoint()
        if self.run.datasets.val is not None and (it % self.run.val.val_freq == 0 or it == self.trainer.total_iter):  # all ranks
            self.validate()

    def finish(self) -> None:
        """Final files of a completed stage: ``*_latest`` models and a state."""
        self.save_checkpoint("latest")
        if self.mlog is not None:
            plot_curves(self.mlog.path, self.layout.curves)
        self.close()

    def close(self) -> None:
        if self.mlog is not None:
            self.mlog.close()
        self.trackers.finish()
