"""The generator-trainer base of ``esrnet`` and ``esrgan`` (implements esrgan_core.contracts.Trainer).

Set-up: the generator built under the run's seed (or loaded: ``path.pretrain_network_g``, else
the previous stage's EMA), its EMA copy, the losses, the optimizer and schedule, all prepared with
the run's one Accelerator. Per step: losses get their inputs by declared name
(:mod:`.loss_inputs`); every loss term is checked before any optimizer step.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import torch

from esrgan_core.errors import ConfigError, NonFiniteLossError
from esrgan_core.modelfiles.fit import load_into
from esrgan_core.modelfiles.loader import read_state_dict
from esrgan_core.speed import prepare_network
from esrgan_core.trainer_api import SEED_NETWORK_G, PairRequest, StageContext, Step, TrainedNetworks
from esrgan_core.training.ema import EMA
from esrgan_core.training.loss_inputs import StepTensors, check_inputs, provide
from esrgan_core.training.optim import build_optimizer, build_scheduler


def total(terms: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The sum of loss terms (a scalar tensor)."""
    return torch.stack([t.float() for t in terms.values()]).sum()


class GeneratorTrainer:
    """Generator training with EMA; subclasses implement :meth:`train_step`."""

    adversarial_ok = False  # whether losses may read discriminator logits

    def __init__(self, params: Any, context: StageContext) -> None:
        self.params, self.context = params, context
        tp = params.train
        self.total_iter = tp.total_iter
        self.accelerator = context.accelerator
        self.accelerator.gradient_accumulation_steps = tp.gradient_accumulation_steps
        self.device = self.accelerator.device
        net_g = context.build_network(params.network_g, SEED_NETWORK_G)
        self.load_reports = self._init_generator(net_g)
        self.ema = EMA(net_g, tp.ema_decay)  # starts equal to G (G from the previous stage's EMA, or fresh)
        path = params.path
        if path.pretrain_network_g is not None and path.param_key_g != "params_ema":
            state, source = read_state_dict(path.pretrain_network_g, "params_ema")  # reference: EMA from params_ema
            self.load_reports.append(f"EMA: {load_into(self.ema.module, state, strict=path.strict_load_g, source=source).summary()}")
        self.ema.module.to(self.device)
        built = [context.build(spec).to(self.device) for spec in tp.losses]
        self.losses = [loss for loss in built if loss.weight > 0]
        check_inputs(self.losses, f"stages[{context.index}].train.losses", adversarial_ok=self.adversarial_ok)
        self.pair_request = PairRequest(sharpen_target=self.sharpen_target(),
                                        gt_usm=self.needs_gt_usm() or any("gt_usm" in loss.inputs for loss in self.losses))
        net_g = prepare_network(net_g, channels_last=tp.channels_last, compile=tp.compile)
        opt_g = build_optimizer(net_g.parameters(), tp.optim_g)
        self.sched_g = build_scheduler(opt_g, tp.scheduler, tp.total_iter)
        self.net_g, self.opt_g = self.accelerator.prepare(net_g, opt_g)

    def sharpen_target(self) -> bool:
        """``train.gt_usm: true`` (RealESRNet's default) trains towards the sharpened GT."""
        return bool(self.params.train.gt_usm)

    def needs_gt_usm(self) -> bool:
        """Whether the trainer itself (not a loss) reads ``gt_usm``."""
        return False

    def _init_generator(self, net_g: torch.nn.Module) -> list[str]:
        path = self.params.path
        if path.pretrain_network_g is not None:
            state, source = read_state_dict(path.pretrain_network_g, path.param_key_g)
            return [f"network_g: {load_into(net_g, state, strict=path.strict_load_g, source=source).summary()}"]
        if self.context.previous_ema is not None and path.init_from_previous:
            report = load_into(net_g, self.context.previous_ema, strict=True, source="the previous stage's EMA")
            return [f"network_g: {report.summary()}"]
        return []

    def reject_adversarial(self) -> None:
        for i, loss in enumerate(self.losses):
            if loss.adversarial:
                raise ConfigError("an adversarial loss needs a discriminator: use a stage of type 'esrgan'",
                                  path=f"stages[{self.context.index}].train.losses[{i}]")

    # -- the step ---------------------------------------------------------------------------------
    def train_step(self, pair: Mapping[str, torch.Tensor], step: Step) -> dict[str, float]:
        raise NotImplementedError

    @torch.no_grad()
    def ema_output(self, lq: torch.Tensor) -> torch.Tensor:
        """The EMA generator's output on ``lq`` (the ``sr_ema`` loss input; no gradient)."""
        return self.ema.module(lq)

    def g_loss_terms(self, pair: Mapping[str, torch.Tensor], sr: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every generator loss term, each loss given the inputs it declares (call under autocast)."""
        tensors = StepTensors(pair, sr, self)
        terms: dict[str, torch.Tensor] = {}
        for loss in self.losses:
            terms.update(loss(**provide(tensors, loss.inputs)))
        return terms

    def check_finite(self, terms: Mapping[str, torch.Tensor], iteration: int) -> dict[str, float]:
        """The terms as floats (one device sync for all); NonFiniteLossError on the first NaN/Inf."""
        values = torch.stack([v.detach().float().reshape(()) for v in terms.values()]).tolist()
        out = dict(zip(terms, values))
        for name, v in out.items():
            if not math.isfinite(v):
                raise NonFiniteLossError(f"loss {name} is {v} at iteration {iteration} of stage {self.params.name!r}")
        return out

    @contextmanager
    def unchanged_on_nan(self, *nets: torch.nn.Module) -> Iterator[None]:
        """Forwards in train mode may update buffers (spectral norm's power iteration, batch-norm
        statistics); when the step raises NonFiniteLossError they are put back, so the networks are
        exactly those of the previous iteration (no optimizer has stepped yet at that point)."""
        modules = [self.accelerator.unwrap_model(n) for n in nets]
        saved = [{k: b.detach().clone() for k, b in m.named_buffers()} for m in modules]
        try:
            yield
        except NonFiniteLossError:
            with torch.no_grad():
                for m, buffers in zip(modules, saved):
                    for k, b in m.named_buffers():
                        b.copy_(buffers[k])
            raise

    def g_backward(self, terms: Mapping[str, torch.Tensor]) -> float:
        """Back-propagate the sum of (already checked) ``terms`` and clip G; returns the total."""
        l_total = total(terms)
        self.accelerator.backward(l_total)
        self.clip(self.net_g)
        return float(l_total.detach())

    def end_step(self) -> None:
        """After an optimizer update (gradients synced): EMA and learning-rate schedules."""
        if not self.accelerator.sync_gradients:
            return
        self.ema.update(self.accelerator.unwrap_model(self.net_g))
        for s in self.schedulers():
            s.step()

    def schedulers(self) -> tuple[Any, ...]:
        return (self.sched_g,)

    def clip(self, model: torch.nn.Module) -> None:
        clip = self.params.train.grad_clip
        if clip and self.accelerator.sync_gradients:
            self.accelerator.clip_grad_norm_(model.parameters(), clip)

    def lr(self) -> float:
        return float(self.sched_g.get_last_lr()[0])

    # -- what the loop saves ----------------------------------------------------------------------
    def networks(self) -> TrainedNetworks:
        return TrainedNetworks(self.params.network_g, self.accelerator.unwrap_model(self.net_g), self.ema.module)

    def state_dict(self) -> dict[str, Any]:
        """Schedulers and EMA (models and optimizers are in the accelerator's state)."""
        return {"schedulers": [s.state_dict() for s in self.schedulers()], "ema": self.ema.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for s, sd in zip(self.schedulers(), state["schedulers"]):
            s.load_state_dict(sd)
        self.ema.load_state_dict(state["ema"])
