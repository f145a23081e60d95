"""``esrnet``: train the generator with pixel-style losses only (RealESRNetModel).

Per micro-batch: G forward -> losses (each given its declared inputs) -> all checked -> backward ->
optimizer step when Accelerate syncs gradients -> EMA update, LR step.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from esrgan_core.trainer_api import StageContext, Step
from esrgan_core.training.base import GeneratorTrainer


class ESRNetTrainer(GeneratorTrainer):
    """Generator-only trainer; ``train_step(pair, step) -> {"l_g_pix": ..., "l_g_total": ...}``."""

    def __init__(self, params: Any, context: StageContext) -> None:
        super().__init__(params, context)
        self.reject_adversarial()

    def train_step(self, pair: Mapping[str, torch.Tensor], step: Step) -> dict[str, float]:
        acc = self.accelerator
        with acc.accumulate(self.net_g):
            with self.unchanged_on_nan(self.net_g):
                with acc.autocast():
                    sr = self.net_g(pair["lq"])
                    terms = self.g_loss_terms(pair, sr)
                logs = self.check_finite(terms, step.iteration)
            logs["l_g_total"] = self.g_backward(terms)
            self.opt_g.step()
            self.opt_g.zero_grad(set_to_none=True)
        self.end_step()
        return logs
