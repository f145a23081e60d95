"""The iteration loop of one stage: data, steps, logging, validation, checkpoints, stop requests.

Order per iteration (BasicSR): train step(s) -> log -> save -> validate. Ctrl-C (SIGINT) or
SIGTERM, or an observer's ``trainer.request_stop(reason)``, ends the loop after the current
iteration with a saved state; a NaN/Inf loss saves a state of the weights before the bad update
and raises :class:`TrainingStopped`, as does an observer plugin that raises (after saving a state)
or a checkpoint that cannot be written (the newest complete state stays).
"""

from __future__ import annotations

import logging
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch

from esrgan_core.errors import EsrganError, ObserverError
from esrgan_plugins.training.base import NonFiniteLossError
from esrgan_plugins.training.data import make_train_loader
from esrgan_plugins.training.header import ProgressFormatter, startup_header
from esrgan_plugins.training.metrics_log import MetricsLog, plot_curves
from esrgan_plugins.training.stateio import latest_state, open_store, save_state
from esrgan_plugins.training.trackers import Trackers

log = logging.getLogger("esrgan.train")


class TrainingStopped(EsrganError):
    """The run stopped on a non-finite loss (a state from before it was saved)."""


@contextmanager
def stop_on_signals(trainer: Any) -> Iterator[None]:
    """SIGINT/SIGTERM ask the trainer to stop after this iteration (a second Ctrl-C aborts)."""
    def handler(signum: int, frame: Any) -> None:
        if trainer.stop_reason is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        trainer.request_stop(f"signal {signal.Signals(signum).name}")

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for s in old:
            signal.signal(s, handler)
    except ValueError:  # not the main thread: leave signals alone
        old = {}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _any_stop(trainer: Any) -> bool:
    acc = trainer.accelerator
    flag = trainer.stop_reason is not None
    if acc.num_processes > 1:
        t = torch.tensor([1.0 if flag else 0.0], device=acc.device)
        flag = bool(acc.reduce(t, "sum").item() > 0)
        if flag and trainer.stop_reason is None:
            trainer.request_stop("another process stopped")
    return flag


class StageLoop:
    """Runs ``trainer`` to its ``total_iter`` (resuming from the newest complete state)."""

    def __init__(self, trainer: Any, train_set: Any, validator: Any, hook: Any) -> None:
        self.t, self.train_set, self.validator, self.hook = trainer, train_set, validator, hook
        self.acc = trainer.accelerator
        run = trainer.run
        self.run, self.dir = run, trainer.context.stage_dir
        self.store = open_store(self.dir, run.logger.keep_states, self.acc)
        self.mlog = MetricsLog(self.dir / "logs") if self.acc.is_main_process else None
        self.trackers = Trackers.open(run.logger, self.dir / "logs", f"{run.name}-{trainer.params.name}",
                                      enabled=self.acc.is_main_process)

    def info(self, msg: str) -> None:
        if self.acc.is_main_process:
            log.info(msg)

    def resume(self) -> None:
        state = latest_state(self.store, self.acc)
        if state is not None:
            self.t.resume(state)
            self.info(f"resumed stage {self.t.params.name!r} from {state} (iteration {self.t.iteration})")
        if self.mlog is not None:
            self.mlog.resume(self.t.iteration)

    def save_checkpoint(self, tag: str | None = None, notify: bool = True) -> None:
        try:
            paths = self.t.save(tag)
            state = save_state(self.t, self.store, {"stage": self.t.params.name, "run": self.run.name})
        except OSError as exc:  # folder made read-only, disk full, a file in the way...
            raise TrainingStopped(f"cannot write the checkpoint of iteration {self.t.iteration} in {self.dir}: "
                                  f"{exc.strerror or exc} ({exc.filename or ''}); stopped. The newest complete "
                                  "state is kept: make the folder writable and re-run to resume") from None
        for p in [*paths, state] if notify else []:
            self.hook.on_checkpoint_saved(trainer=self.t, iteration=self.t.iteration, path=str(p))
        self.info(f"saved models and state at iteration {self.t.iteration} -> {state}")

    def validate(self) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.validator is not None and self.acc.is_main_process:
            vis = self.dir / "visualization"
            metrics = self.validator.evaluate(self.t.ema.module.eval(), self.t.device, self.t.iteration, vis)
            best = self.t.counters.best
            for name, value in metrics.items():
                old = best.get(name)
                better = self.validator.higher_is_better(name)
                if old is None or (value > old["value"] if better else value < old["value"]):
                    best[name] = {"value": value, "iter": self.t.iteration}
            self.mlog.log(self.t.iteration, "val", metrics)
            self.trackers.log({f"val/{k}": v for k, v in metrics.items()}, self.t.iteration)
            text = ", ".join(f"{k} {v:.4f} (best {best[k]['value']:.4f} @ {best[k]['iter']})" for k, v in metrics.items())
            self.info(f"validation at iteration {self.t.iteration}: {text}")
            plot_curves(self.mlog.path, self.dir / "logs" / "curves.png")
        if self.acc.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            box = [metrics]
            broadcast_object_list(box, from_process=0)
            metrics = box[0]
        if metrics:
            self.hook.on_validation_end(trainer=self.t, iteration=self.t.iteration, metrics=metrics)
        return metrics

    def header(self) -> None:
        tp = self.t.params.train
        counts = {"network_g": sum(p.numel() for p in self.t.ema.module.parameters())}
        d = self.t.discriminator()
        if d is not None:
            counts["network_d"] = sum(p.numel() for p in d.parameters())
        self.info(startup_header(self.acc, dataset_size=len(self.train_set), batch_per_device=self.run.datasets.train.batch_size_per_gpu,
                                 grad_accum=tp.gradient_accumulation_steps, param_counts=counts))
        for line in self.t.load_reports:
            self.info(f"  {line}")
        self.info(f"  stage      {self.t.params.name!r} ({type(self.t).__name__}), {tp.total_iter} iterations, "
                  f"folder {self.dir}")

    def run_loop(self) -> str:
        """Train; returns ``"done"`` or ``"stopped: <reason>"``."""
        self.resume()
        self.header()
        t, run, tp = self.t, self.run, self.t.params.train
        dl = run.datasets.train
        loader = make_train_loader(self.train_set, dl.batch_size_per_gpu, dl.num_worker_per_gpu, seed=run.seed + 1000 * t.context.index,
                                   rank=self.acc.process_index, world=self.acc.num_processes, start=t.counters.micro_step)
        batches = iter(loader)
        progress = ProgressFormatter(tp.total_iter, t.iteration)
        self.hook.on_train_start(trainer=t)
        accum: dict[str, list[float]] = {}
        data_time = compute_time = 0.0
        with stop_on_signals(t):
            while t.iteration < tp.total_iter:
                t0 = time.perf_counter()
                batch = next(batches)
                t1 = time.perf_counter()
                try:
                    logs = t.train_step(batch)
                except NonFiniteLossError as exc:
                    self.save_checkpoint()
                    raise TrainingStopped(f"{exc}; stopped. A state of the weights before this iteration was "
                                          f"saved in {self.dir / 'state'}; lower the learning rate or use "
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
                    raise TrainingStopped(f"{exc}; the run stopped after saving a state of iteration {t.iteration} "
                                          f"in {self.dir / 'state'}; fix or remove the plugin and re-run to resume") from None
                accum, data_time, compute_time = {}, 0.0, 0.0
                if _any_stop(t):
                    self.save_checkpoint()
                    return f"stopped: {t.stop_reason}"
        return "done"

    def end_iteration(self, logs: dict[str, float], data_time: float, compute_time: float, progress: ProgressFormatter) -> None:
        t, it = self.t, self.t.iteration
        record = {**logs, "lr": t.lr(), "data_time": data_time, "compute_time": compute_time}
        if self.mlog is not None:
            self.mlog.log(it, "train", record)
        self.trackers.log({f"train/{k}": v for k, v in record.items()}, it)
        self.hook.on_iteration_end(trainer=t, iteration=it, logs=record)
        if it % self.run.logger.print_freq == 0 or it == t.total_iter:
            self.info(progress.line(it, logs, lr=t.lr(), data_time=data_time, compute_time=compute_time))
        if it % self.run.logger.save_checkpoint_freq == 0 and it != t.total_iter:
            self.save_checkpoint()
        if self.run.datasets.val is not None and (it % self.run.val.val_freq == 0 or it == t.total_iter):  # all ranks
            self.validate()

    def finish(self) -> None:
        """Final files of a completed stage: ``*_latest`` models and a state."""
        self.save_checkpoint("latest")
        if self.mlog is not None:
            plot_curves(self.mlog.path, self.dir / "logs" / "curves.png")
            self.mlog.close()
        self.trackers.finish()

    def close(self) -> None:
        if self.mlog is not None:
            self.mlog.close()
        self.trackers.finish()


def stage_done_file(stage_dir: Path) -> Path:
    return stage_dir / "DONE"
