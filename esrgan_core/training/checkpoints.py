"""Checkpoints of a stage: model files (``models/``) plus a training state (:class:`Checkpointer`).

Model files are named by :class:`esrgan_core.runlayout.StageLayout`:

``net_g_<tag>.pth`` = ``{'params': G, 'params_ema': EMA}`` (float CPU tensors, no ``module.``
prefix), ``net_g_ema_<tag>.safetensors`` (EMA weights + metadata naming the architecture),
``net_d_<tag>.pth`` = ``{'params': D}``. Loading goes through the model-file plugin
(:func:`esrgan_core.modelfiles.loader.read_state_dict`), the one weight-loading path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from esrgan_core.modelfiles.description import describe
from esrgan_core.modelfiles.loader import read_state_dict
from esrgan_core.modelfiles.writers import save_pth, save_safetensors
from esrgan_core.registry import Registries
from esrgan_core.runlayout import StageLayout
from esrgan_core.trainer_api import TrainedNetworks
from esrgan_core.training.header import info
from esrgan_core.training.signals import TrainingStopped
from esrgan_core.training.stateio import TrainingState, latest_state, open_store


def float_state(net: nn.Module) -> dict[str, torch.Tensor]:
    """``net``'s state dict for .pth files: float tensors plus integer index tables and counters (spandrel
    needs SwinIR / HAT / DAT's ``relative_position_index``; BasicSR keeps ``num_batches_tracked`` too)."""
    return {k: v for k, v in net.state_dict().items() if v.is_floating_point() or v.dtype in (torch.int64, torch.int32)}


def save_models(layout: StageLayout, tag: str, nets: TrainedNetworks, *, iteration: int, config_hash: str,
                registries: Registries, source: str) -> list[Path]:
    """Write the model files of one checkpoint (``tag`` = iteration number or ``latest``)."""
    layout.models.mkdir(parents=True, exist_ok=True)
    spec = nets.network_g
    description = describe(spec.type, registries["networks"].get(spec.type).factory, spec.params, source=source)
    save_pth(layout.net_g(tag), float_state(nets.generator), float_state(nets.ema))
    save_safetensors(layout.net_g_ema(tag), nets.ema.state_dict(), description, iteration=iteration, config_hash=config_hash)
    out = [layout.net_g(tag), layout.net_g_ema(tag)]
    if nets.discriminator is not None:
        save_pth(layout.net_d(tag), float_state(nets.discriminator))
        out.append(layout.net_d(tag))
    return out


def latest_ema(layout: StageLayout) -> dict[str, torch.Tensor]:
    """The EMA weights a finished stage saved (``net_g_latest.pth``)."""
    return read_state_dict(str(layout.net_g()), "params_ema")[0]


class Checkpointer:
    """A stage's checkpoints: the model files (main process) and a complete training state (every
    process), each final file announced to observers (``on_checkpoint_saved``); :meth:`resume`
    reads the newest complete state back. The stage is read through its observer view."""

    def __init__(self, layout: StageLayout, state: TrainingState, view: Any, hook: Any, *, keep: int,
                 registries: Registries, config_hash: str, run_name: str) -> None:
        self.layout, self.state, self.view, self.hook = layout, state, view, hook
        self.acc = state.accelerator
        self.store = open_store(layout.dir, keep, self.acc)
        self.registries, self.config_hash = registries, config_hash
        self.source = f"{run_name}/{view.params.name}"
        self.meta = {"stage": view.params.name, "run": run_name}

    def resume(self) -> Path | None:
        """Load the newest complete state (every process); its folder, or None for a new stage."""
        folder = latest_state(self.store, self.acc)
        if folder is not None:
            self.state.read(folder)
        return folder

    def save(self, tag: str | None = None, notify: bool = True) -> Path:
        """Collective: model files ``<tag>`` (default: the iteration) and a state; returns the state folder."""
        it = self.view.iteration
        try:
            paths = save_models(self.layout, tag or str(it), self.view.networks(), iteration=it, config_hash=self.config_hash,
                                registries=self.registries, source=self.source) if self.acc.is_main_process else []
            state = self.state.save(self.store, it, self.meta)
        except OSError as exc:  # folder made read-only, disk full, a file in the way...
            raise TrainingStopped(f"cannot write the checkpoint of iteration {it} in {self.layout.dir}: "
                                  f"{exc.strerror or exc} ({exc.filename or ''}); stopped. The newest complete "
                                  "state is kept: make the folder writable and re-run to resume") from None
        for p in [*paths, state] if notify else []:
            self.hook.on_checkpoint_saved(trainer=self.view, iteration=it, path=str(p))
        info(self.acc, f"saved models and state at iteration {it} -> {state}")
        return state
