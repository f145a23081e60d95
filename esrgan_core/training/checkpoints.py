"""Model files of a stage (``models/``), named by :class:`esrgan_core.runlayout.StageLayout`.

``net_g_<tag>.pth`` = ``{'params': G, 'params_ema': EMA}`` (float CPU tensors, no ``module.``
prefix), ``net_g_ema_<tag>.safetensors`` (EMA weights + metadata naming the architecture),
``net_d_<tag>.pth`` = ``{'params': D}``. Loading goes through the model-file plugin
(:func:`esrgan_core.modelfiles.loader.read_state_dict`), the one weight-loading path.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from esrgan_core.modelfiles.description import describe
from esrgan_core.modelfiles.loader import read_state_dict
from esrgan_core.modelfiles.writers import save_pth, save_safetensors
from esrgan_core.registry import Registries
from esrgan_core.runlayout import StageLayout
from esrgan_core.trainer_api import TrainedNetworks


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
