"""Exponential moving average of the generator's parameters (BasicSR ``model_ema``).

``ema = decay * ema + (1 - decay) * param`` for every entry of ``named_parameters()``, once per
iteration; buffers are copied, not averaged (RRDBNet and SRVGG have none). The EMA network is a
separate module that is never wrapped by ``accelerator.prepare``; it is saved in every training
state through the trainer's ``state_dict`` (see :mod:`.stateio`).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

import torch
from torch import nn


class EMA:
    """An EMA copy of ``model`` (kept in eval mode, no gradients)."""

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        self.decay = float(decay)
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """One EMA step towards ``model``'s current parameters (an unwrapped module)."""
        ema_params = dict(self.module.named_parameters())
        for name, p in model.named_parameters():
            ema = ema_params[name]
            ema.mul_(self.decay).add_(p.detach().to(ema.dtype), alpha=1 - self.decay)
        ema_buffers = dict(self.module.named_buffers())
        for name, b in model.named_buffers():
            ema_buffers[name].copy_(b)

    def state_dict(self) -> dict[str, Any]:
        return self.module.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.module.load_state_dict(state)
