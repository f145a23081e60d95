"""Built-in trainers ``esrnet`` and ``esrgan`` and the ``train`` task (Accelerate-based).

Modules: ``config`` (params classes), ``base``/``esrnet``/``esrgan`` (trainers), ``loss_inputs``
(loss inputs by declared name), ``pairs`` (the training pair: degradation, target, crop, pool, USM),
``data`` (resumable data order), ``loop`` (counters, outcome, logging, validation, checkpoints),
``run`` (run folder, one Accelerator, stages), ``stateio``/``state_store`` (training states),
``validation``, ``compare``, ``metrics_log``, ``header``, ``signals``, ``trackers``.
"""

from __future__ import annotations

from typing import Any

from esrgan_core.hookspecs import Register, hookimpl
from esrgan_core.training.config import ESRGANStageParams, ESRNetStageParams, RunParams
from esrgan_core.training.preflight import preflight_config  # noqa: F401  (hook implementation)


def _esrnet(params: Any, context: Any) -> Any:
    from esrgan_plugins.training.esrnet import ESRNetTrainer

    return ESRNetTrainer(params, context)


def _esrgan(params: Any, context: Any) -> Any:
    from esrgan_plugins.training.esrgan import ESRGANTrainer

    return ESRGANTrainer(params, context)


def _train(params: Any, context: Any) -> int:
    from esrgan_core.training.run import run_training

    return run_training(params, context)


@hookimpl
def register_trainers(register: Register) -> None:
    register("esrnet", _esrnet, params=ESRNetStageParams, help="generator only, pixel losses (RealESRNet)")
    register("esrgan", _esrgan, params=ESRGANStageParams, help="generator + U-Net discriminator (RealESRGAN)")


@hookimpl
def register_tasks(register: Register) -> None:
    register("train", _train, params=RunParams, help="train one or more stages (e.g. ESRNet then ESRGAN)")
