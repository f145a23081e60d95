"""``esrnet``: train the generator with pixel-style losses only (RealESRNetModel).

Per micro-batch: pair (degradation + pool, on the device) -> G forward -> losses -> backward ->
optimizer step when Accelerate syncs gradients -> EMA update, LR step, iteration + 1.
"""

from __future__ import annotations

from typing import Any, Mapping

from esrgan_core.errors import ConfigError
from esrgan_plugins.training.base import BaseTrainer


class ESRNetTrainer(BaseTrainer):
    """Generator-only trainer; ``train_step(batch) -> {"l_g_pix": ..., "l_g_total": ...}``."""

    def __init__(self, params: Any, context: Any) -> None:
        super().__init__(params, context)
        for i, loss in enumerate(self.losses):
            if getattr(loss, "adversarial", False):
                raise ConfigError("an adversarial loss needs a discriminator: use a stage of type 'esrgan'",
                                  path=f"stages[{context.index}].train.losses[{i}]")

    def train_step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        acc = self.accelerator
        pair = self.pairs.make(batch, self.generator_for_step(), self.device)
        with acc.accumulate(self.net_g):
            with acc.autocast():
                sr = self.net_g(pair["lq"])
                terms = self.g_loss_terms(self.loss_inputs(sr, pair))
            logs = self.g_update(terms)
            self.opt_g.zero_grad(set_to_none=True)
        self.finish_micro_step()
        return logs
