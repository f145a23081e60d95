"""Tiny training configs shared by tests/test_train*.py (num_feat 8, num_block 1, gt_size 32)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from esrgan_core.config import build_config
from esrgan_core.context import RunContext
from esrgan_core.plugins import load_plugins

LIGHT_DEGRADATION = [
    {"type": "blur", "kernel_size": [3, 7], "kernel_list": ["iso"], "kernel_prob": [1.0], "sigma": [0.2, 1.0], "sinc_prob": 0},
    {"type": "resize", "to": "lr", "prob": [0, 0, 1]},
    {"type": "noise", "gaussian_prob": 1.0, "sigma": [1, 3], "gray_prob": 0.0},
]
NET_G = {"type": "rrdbnet", "num_feat": 8, "num_block": 1, "num_grow_ch": 8}
NET_D = {"type": "unet_discriminator_sn", "num_feat": 8}


def tiny_config(root: Path, *, stages: str = "esrnet+esrgan", iters: tuple[int, int] = (4, 3), **top: Any) -> dict[str, Any]:
    """Plain config data of a tiny run under ``root``."""
    esrnet = {"type": "esrnet", "name": "esrnet", "network_g": dict(NET_G),
              "train": {"total_iter": iters[0], "losses": [{"type": "l1"}], "optim_g": {"lr": 1e-3}}}
    esrgan = {"type": "esrgan", "name": "esrgan", "network_g": dict(NET_G), "network_d": dict(NET_D),
              "train": {"total_iter": iters[1], "losses": [{"type": "l1"}, {"type": "gan", "weight": 0.1}]}}
    chosen = {"esrnet": [esrnet], "esrgan": [esrgan], "esrnet+esrgan": [esrnet, esrgan]}[stages]
    data = {
        "name": "tiny", "scale": 4, "seed": 0, "experiments_root": str(root),
        "datasets": {"train": {"dataset": {"type": "skimage_photos", "only": ["chelsea", "coffee", "rocket"],
                                           "patch_size": 48}, "batch_size_per_gpu": 2}},
        "degradation": copy.deepcopy(LIGHT_DEGRADATION), "gt_size": 32, "queue_size": 4,
        "logger": {"print_freq": 1, "save_checkpoint_freq": 1000}, "stages": chosen,
    }
    data.update(top)
    return data


def context(data: dict[str, Any], extra_plugins: tuple = (), fresh: bool = False) -> RunContext:
    cfg, host = build_config(data, host_factory=lambda mods: load_plugins(mods, extra_plugins=extra_plugins))
    return RunContext(host, cfg, fresh=fresh)


def make_loop(ctx: RunContext, index: int = 0, stage_dir: Path | None = None, previous_ema: Any = None) -> Any:
    """The stage loop of stage ``index`` (trainer built, nothing run): ``loop.step(batch)`` runs one
    micro-batch through the real pair step and the trainer."""
    from esrgan_core.runlayout import StageLayout
    from esrgan_core.trainer_api import StageContext
    from esrgan_core.training.accel import make_accelerator
    from esrgan_core.training.config import stage_precision
    from esrgan_core.training.loop import StageLoop

    run = ctx.config.params
    spec = run.stages[index]
    layout = StageLayout(stage_dir or Path(run.experiments_root) / run.name / spec.params.name)
    sctx = StageContext(run=run, index=index, layout=layout, accelerator=make_accelerator(stage_precision(spec)),
                        registries=ctx.registries, base_dir=Path.cwd(), previous_ema=previous_ema, config_hash="test")
    trainer = spec.build(ctx.registries, sctx)
    train_set = ctx.build(run.datasets.train.dataset, base_dir=Path.cwd())
    return StageLoop(trainer, spec.params, sctx, train_set, None, ctx.hook)


def batches(loop: Any) -> Any:
    """The loop's endless training batches (from micro-batch 0)."""
    from esrgan_core.training.data import make_train_loader

    run = loop.run
    return iter(make_train_loader(loop.train_set, run.datasets.train.batch_size_per_gpu, 0, seed=0, rank=0, world=1, start=0))
