"""``esrgan``: generator + discriminator (RealESRGANModel), three D forwards per iteration.

Per micro-batch, as the reference: G forward; if G is updated this iteration (``iteration %
net_d_iters == 0`` and ``iteration > net_d_init_iters``), the generator loss uses D with its
parameters frozen (the unwrapped D, so no gradient reaches D); then D on the real image
(plain GT, or the sharpened one with ``gan_gt_usm``) and D on the detached G output, each
backward, one D optimizer step. The adversarial loss is any registered loss with
``adversarial = True`` (its ``d_loss(logits, is_real)`` trains D, unweighted).
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from esrgan_core.errors import ConfigError
from esrgan_plugins.training.base import BaseTrainer
from esrgan_plugins.training.optim import build_optimizer, build_scheduler


class ESRGANTrainer(BaseTrainer):
    """``train_step(batch) -> {"l_g_pix", "l_g_percep", "l_g_gan", "l_d_real", "l_d_fake", "out_d_real", "out_d_fake", ...}``."""

    has_discriminator = True

    def __init__(self, params: Any, context: Any) -> None:
        super().__init__(params, context)
        adv = [loss for loss in self.losses if getattr(loss, "adversarial", False)]
        if len(adv) != 1:
            raise ConfigError(f"an esrgan stage needs exactly one adversarial loss (e.g. type: gan), found {len(adv)}",
                              path=f"stages[{context.index}].train.losses")
        self.gan = adv[0]

    def build_extra(self) -> tuple[Any, ...]:
        p = self.params
        net_d = self.context.ctx.build(p.network_d)
        if p.path.pretrain_network_d is not None:
            from esrgan_plugins.training.checkpoints import load_into, read_pretrained

            state, source = read_pretrained(p.path.pretrain_network_d, p.path.param_key_d)
            self.load_reports.append(f"network_d: {load_into(net_d, state, strict=p.path.strict_load_d, source=source).summary()}")
        opt_d = build_optimizer(net_d.parameters(), p.train.optim_d)
        self.sched_d = build_scheduler(opt_d, p.train.scheduler, p.train.total_iter)
        return net_d, opt_d

    def set_prepared(self, prepared: tuple[Any, ...]) -> None:
        self.net_d, self.opt_d = prepared

    def extra_schedulers(self) -> tuple[Any, ...]:
        return (self.sched_d,)

    def discriminator(self) -> torch.nn.Module:
        return self.net_d

    def update_g_now(self) -> bool:
        it = self.iteration + 1  # the iteration being computed (1-based, as BasicSR)
        t = self.params.train
        return it % t.net_d_iters == 0 and it > t.net_d_init_iters

    def _set_d_grad(self, flag: bool) -> None:
        for p in self.net_d.parameters():
            p.requires_grad_(flag)

    def train_step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        acc = self.accelerator
        pair = self.pairs.make(batch, self.generator_for_step(), self.device)
        logs: dict[str, float] = {}
        with acc.accumulate(self.net_g, self.net_d):
            with acc.autocast():
                sr = self.net_g(pair["lq"])
            if self.update_g_now():
                self._set_d_grad(False)
                d_frozen = acc.unwrap_model(self.net_d)
                with acc.autocast():
                    inputs = self.loss_inputs(sr, pair)
                    inputs["fake_logits"] = d_frozen(sr)
                    terms = self.g_loss_terms(inputs)
                logs.update(self.g_update(terms))
            self.opt_g.zero_grad(set_to_none=True)
            logs.update(self._d_step(pair, sr.detach().clone()))
        self.finish_micro_step()
        return logs

    def _d_step(self, pair: Mapping[str, torch.Tensor], fake: torch.Tensor) -> dict[str, float]:
        acc = self.accelerator
        self._set_d_grad(True)
        real = pair["gt_usm"] if self.params.train.gan_gt_usm else pair["gt"]
        with acc.autocast():
            real_logits = self.net_d(real)
            l_d_real = self.gan.d_loss(real_logits, True)
        logs = self.check_finite({"l_d_real": l_d_real})
        acc.backward(l_d_real)
        with acc.autocast():
            fake_logits = self.net_d(fake)
            l_d_fake = self.gan.d_loss(fake_logits, False)
        logs.update(self.check_finite({"l_d_fake": l_d_fake}))
        acc.backward(l_d_fake)
        self.clip(self.net_d)
        self.opt_d.step()
        self.opt_d.zero_grad(set_to_none=True)
        logs["out_d_real"] = float(real_logits.detach().float().mean())
        logs["out_d_fake"] = float(fake_logits.detach().float().mean())
        return logs
