"""``esrgan``: generator + discriminator (RealESRGANModel), three D forwards per iteration.

Per micro-batch, as the reference: G forward; if G is updated this iteration (``iteration %
net_d_iters == 0`` and ``iteration > net_d_init_iters``), the generator losses, with D's
parameters frozen for ``fake_logits``; D on the real image (plain GT, or the sharpened one with
``gan_gt_usm``) and on the detached G output, each followed by its backward (gradients only).
Every loss (G and D) is checked before any optimizer step, so a NaN anywhere leaves G, D and EMA
as they were after the previous iteration; then G steps, then D (D's losses use D's parameters of
before the step, as in the reference, whose G step does not touch D). The adversarial loss is any registered loss
with ``adversarial = True`` (its ``d_loss(logits, is_real)`` trains D, unweighted).
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from esrgan_core.errors import ConfigError
from esrgan_core.modelfiles.fit import load_into
from esrgan_core.modelfiles.loader import read_state_dict
from esrgan_core.trainer_api import SEED_NETWORK_D, StageContext, Step, TrainedNetworks
from esrgan_core.training.base import GeneratorTrainer
from esrgan_core.training.optim import build_optimizer, build_scheduler


class ESRGANTrainer(GeneratorTrainer):
    """``train_step -> {"l_g_pix", "l_g_percep", "l_g_gan", "l_d_real", "l_d_fake", "out_d_real", "out_d_fake", ...}``."""

    adversarial_ok = True

    def __init__(self, params: Any, context: StageContext) -> None:
        super().__init__(params, context)
        adv = [loss for loss in self.losses if loss.adversarial]
        if len(adv) != 1:
            raise ConfigError(f"an esrgan stage needs exactly one adversarial loss (e.g. type: gan), found {len(adv)}",
                              path=f"stages[{context.index}].train.losses")
        self.gan = adv[0]
        p = params
        net_d = context.build_network(p.network_d, SEED_NETWORK_D)
        if p.path.pretrain_network_d is not None:
            state, source = read_state_dict(p.path.pretrain_network_d, p.path.param_key_d)
            self.load_reports.append(f"network_d: {load_into(net_d, state, strict=p.path.strict_load_d, source=source).summary()}")
        opt_d = build_optimizer(net_d.parameters(), p.train.optim_d)
        self.sched_d = build_scheduler(opt_d, p.train.scheduler, p.train.total_iter)
        self.net_d, self.opt_d = self.accelerator.prepare(net_d, opt_d)

    def needs_gt_usm(self) -> bool:
        return bool(self.params.train.gan_gt_usm)

    def schedulers(self) -> tuple[Any, ...]:
        return (self.sched_g, self.sched_d)

    def networks(self) -> TrainedNetworks:
        unwrap = self.accelerator.unwrap_model
        return TrainedNetworks(self.params.network_g, unwrap(self.net_g), self.ema.module, unwrap(self.net_d))

    def frozen_discriminator(self) -> torch.nn.Module:
        """D for the generator's loss: the unwrapped module, parameters not requiring gradients."""
        self._set_d_grad(False)
        return self.accelerator.unwrap_model(self.net_d)

    def update_g_now(self, iteration: int) -> bool:
        t = self.params.train
        return iteration % t.net_d_iters == 0 and iteration > t.net_d_init_iters

    def _set_d_grad(self, flag: bool) -> None:
        for p in self.net_d.parameters():
            p.requires_grad_(flag)

    def train_step(self, pair: Mapping[str, torch.Tensor], step: Step) -> dict[str, float]:
        acc = self.accelerator
        with acc.accumulate(self.net_g, self.net_d):
            with self.unchanged_on_nan(self.net_g, self.net_d):
                with acc.autocast():
                    sr = self.net_g(pair["lq"])
                    g_terms = self.g_loss_terms(pair, sr) if self.update_g_now(step.iteration) else {}
                d_terms, d_logs = self.d_backward(pair, sr.detach().clone())
                logs = self.check_finite({**g_terms, **d_terms}, step.iteration)  # before any optimizer step
            if g_terms:
                logs["l_g_total"] = self.g_backward(g_terms)
                self.opt_g.step()
            self.opt_g.zero_grad(set_to_none=True)
            self.clip(self.net_d)
            self.opt_d.step()
            self.opt_d.zero_grad(set_to_none=True)
        self.end_step()
        return {**logs, **d_logs}

    def d_backward(self, pair: Mapping[str, torch.Tensor], fake: torch.Tensor) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
        """D's two unweighted losses, real then fake, each forward followed by its backward (one DDP
        forward per backward); gradients only, no step. Returns the losses and the mean logits."""
        acc = self.accelerator
        self._set_d_grad(True)
        real = pair["gt_usm"] if self.params.train.gan_gt_usm else pair["gt"]
        terms, logs = {}, {}
        for name, image, is_real in (("real", real, True), ("fake", fake, False)):
            with acc.autocast():
                logits = self.net_d(image)
                terms[f"l_d_{name}"] = self.gan.d_loss(logits, is_real)
            acc.backward(terms[f"l_d_{name}"])
            logs[f"out_d_{name}"] = float(logits.detach().float().mean())
        return terms, logs
