"""A plugin written against ``esrgan_core`` only: a stage, a loss, a network, a metric, a trainer
that can start from a pretrained file, and a task that degrades an image.

Proves the plugin contracts (:mod:`esrgan_core.contracts`) and the core services (model files,
degradation engine, image sources) suffice without ``esrgan_plugins``; tests/test_core_contracts.py
trains with it, loads pretrained weights, degrades an image, and checks that nothing here imports
the built-ins.
"""

from __future__ import annotations

from esrgan_core.hookspecs import Register, hookimpl

from .components import MeanAbsMetric, MetricParams, SaltParams, SaltStage, TinyL1, TinyL1Params, TinyNet, TinyNetParams
from .task import DegradeParams, degrade_image
from .trainer import TinyTrainer, TinyTrainerParams


@hookimpl
def register_degradations(register: Register) -> None:
    register("salt", SaltStage, params=SaltParams, help="set random LQ pixels to white (test plugin)")


@hookimpl
def register_losses(register: Register) -> None:
    register("tiny_l1", TinyL1, params=TinyL1Params, help="mean |sr - gt| (test plugin)")


@hookimpl
def register_networks(register: Register) -> None:
    register("tiny_net", TinyNet, params=TinyNetParams, help="one conv + nearest upsampling (test plugin)")


@hookimpl
def register_metrics(register: Register) -> None:
    register("mean_abs", MeanAbsMetric, params=MetricParams, help="mean absolute error on 8-bit levels (test plugin)")


@hookimpl
def register_trainers(register: Register) -> None:
    register("tiny_trainer", TinyTrainer, params=TinyTrainerParams, help="generator + EMA, Adam (test plugin)")


@hookimpl
def register_tasks(register: Register) -> None:
    register("degrade_image", degrade_image, params=DegradeParams, help="degrade one image with a recipe and a seed (test plugin)")
