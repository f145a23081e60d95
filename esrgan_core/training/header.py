"""Operator output of a training run: the start-up header and the per-iteration progress line."""

from __future__ import annotations

import logging
import math
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger("esrgan.train")


def info(accelerator: Any, msg: str) -> None:
    """Log ``msg`` (``esrgan.train``, INFO) on the main process only."""
    if accelerator.is_main_process:
        log.info(msg)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _torch_version() -> str:
    try:
        import torch

        return str(torch.__version__)  # includes the build tag (+cu121, +cpu)
    except ImportError:
        return "not installed"


def effective_batch(batch_per_device: int, processes: int, grad_accum: int) -> int:
    """Samples per optimizer step: per-device batch x processes x gradient-accumulation steps."""
    return batch_per_device * processes * grad_accum


def format_count(n: int) -> str:
    """A parameter count in a short form: 16697987 -> '16.70 M', 1234 -> '1.23 k'."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return str(n)


def startup_header(
    accelerator: Any,
    *,
    dataset_size: int,
    batch_per_device: int,
    grad_accum: int,
    param_counts: Mapping[str, int],
) -> str:
    """A multi-line summary printed once at the start: versions, device, precision, batch arithmetic.

    ``accelerator`` is an ``accelerate.Accelerator`` (read: ``num_processes``, ``device``,
    ``mixed_precision``, ``distributed_type``). ``param_counts`` maps a network name to its number
    of parameters.
    """
    processes = int(getattr(accelerator, "num_processes", 1))
    device = getattr(accelerator, "device", "cpu")
    eff = effective_batch(batch_per_device, processes, grad_accum)
    lines = [
        "esrgan training",
        f"  versions   python {platform.python_version()}, torch {_torch_version()}, "
        f"accelerate {_version('accelerate')}, esrgan {_version('esrgan')}",
        f"  device     {_device_name(device)}",
        f"  precision  {getattr(accelerator, 'mixed_precision', 'no')} "
        f"(distributed: {str(getattr(accelerator, 'distributed_type', 'NO')).split('.')[-1]})",
        f"  processes  {processes}",
        f"  batch      {batch_per_device} per device x {processes} process(es) x {grad_accum} accumulation "
        f"= {eff} effective",
        f"  dataset    {dataset_size} images, {math.ceil(dataset_size / eff) if eff else 0} optimizer steps per epoch",
    ]
    for name, count in param_counts.items():
        lines.append(f"  {name:<10} {format_count(int(count))} parameters")
    return "\n".join(lines)


def stage_header(trainer: Any, stage: str, accelerator: Any, *, dataset_size: int, batch_per_device: int,
                 stage_dir: Path) -> list[str]:
    """The messages logged when a stage starts: :func:`startup_header` (one multi-line message), the
    trainer's ``load_reports`` and a line naming the stage, its trainer, length and folder."""
    nets = trainer.networks()
    counts = {"network_g": sum(p.numel() for p in nets.ema.parameters())}
    if nets.discriminator is not None:
        counts["network_d"] = sum(p.numel() for p in nets.discriminator.parameters())
    head = startup_header(accelerator, dataset_size=dataset_size, batch_per_device=batch_per_device,
                          grad_accum=accelerator.gradient_accumulation_steps, param_counts=counts)
    return [head, *(f"  {line}" for line in trainer.load_reports),
            f"  stage      {stage!r} ({type(trainer).__name__}), {trainer.total_iter} iterations, folder {stage_dir}"]


def _device_name(device: Any) -> str:
    text = str(device)
    if text.startswith("cuda"):
        try:
            import torch

            idx = getattr(device, "index", None) or 0
            props = torch.cuda.get_device_properties(idx)
            return f"{text} ({props.name}, {props.total_memory / 2**30:.1f} GiB)"
        except Exception:  # a header must never stop a run
            return text
    return text


def format_duration(seconds: float) -> str:
    """Seconds as ``H:MM:SS`` (``D days, H:MM:SS`` past a day); ``?`` when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    days, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    hms = f"{h}:{m:02d}:{s:02d}"
    return f"{days} days, {hms}" if days else hms


class ProgressFormatter:
    """Builds progress lines: iteration, it/s, ETA, losses, lr, data time vs compute time.

    Speed is measured between consecutive calls of :meth:`line` (wall clock, or the ``now`` given),
    so it covers everything done per iteration, including logging and saving.
    """

    def __init__(self, total_iter: int, start_iter: int = 0, *, now: float | None = None) -> None:
        self.total_iter = total_iter
        self._last_iter = start_iter
        self._last_time = time.perf_counter() if now is None else now

    def rate(self, iteration: int, now: float) -> float:
        """Iterations per second since the previous call (0 if no time passed)."""
        dt = now - self._last_time
        return (iteration - self._last_iter) / dt if dt > 0 else 0.0

    def line(
        self,
        iteration: int,
        losses: Mapping[str, float],
        *,
        lr: float | None = None,
        data_time: float | None = None,
        compute_time: float | None = None,
        now: float | None = None,
    ) -> str:
        """One progress line. ``data_time``/``compute_time`` are seconds per iteration."""
        now = time.perf_counter() if now is None else now
        its = self.rate(iteration, now)
        eta = (self.total_iter - iteration) / its if its > 0 else float("inf")
        self._last_iter, self._last_time = iteration, now
        width = len(str(self.total_iter))
        parts = [f"iter {iteration:>{width}}/{self.total_iter}", f"{its:.2f} it/s", f"eta {format_duration(eta)}"]
        if lr is not None:
            parts.append(f"lr {lr:.3e}")
        parts += [f"{k} {float(v):.4g}" for k, v in losses.items()]
        if data_time is not None and compute_time is not None:
            total = data_time + compute_time
            share = 100 * data_time / total if total > 0 else 0.0
            parts.append(f"data {data_time * 1000:.0f} ms / compute {compute_time * 1000:.0f} ms ({share:.0f}% waiting)")
        return " | ".join(parts)
