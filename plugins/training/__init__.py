"""Built-in trainers ``esrnet`` and ``esrgan`` and the ``train`` task (Accelerate-based).

Modules: ``config`` (params classes), ``base``/``esrnet``/``esrgan`` (trainers), ``loss_inputs``
(loss inputs by declared name), ``pairs`` (the training pair: degradation, target, crop, pool, USM),
``data`` (resumable data order), ``loop`` (counters, outcome, logging, validation, checkpoints),
``run`` (run folder, one Accelerator, stages), ``stateio``/``state_store`` (training states),
``validation``, ``compare``, ``metrics_log``, ``header``, ``signals``, ``trackers``.
"""

from __future__ import annotations

from esrgan_core.hookspecs import Register, hookimpl
from esrgan_core.lazy import lazy
from esrgan_core.training.config import ESRGANStageParams, ESRNetStageParams, RunParams
from esrgan_core.training.preflight import preflight_config  # noqa: F401  (hook implementation)


@hookimpl
def register_trainers(register: Register) -> None:
    register("esrnet", lazy("esrgan_plugins.training.esrnet:ESRNetTrainer"), params=ESRNetStageParams,
             help="generator only, pixel losses (RealESRNet)")
    register("esrgan", lazy("esrgan_plugins.training.esrgan:ESRGANTrainer"), params=ESRGANStageParams,
             help="generator + U-Net discriminator (RealESRGAN)")


@hookimpl
def register_tasks(register: Register) -> None:
    register("train", lazy("esrgan_core.training.run:run_training"), params=RunParams, help="train one or more stages (e.g. ESRNet then ESRGAN)")
