"""The trainer base: one stage of a run on HF Accelerate (set-up, EMA, save, resume, validate).

Subclasses implement :meth:`BaseTrainer.train_step` (one micro-batch; an iteration completes when
Accelerate syncs gradients) and may add a discriminator in :meth:`BaseTrainer.build_extra`.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Mapping

import attrs
import torch

from esrgan_core.context import RunContext
from esrgan_core.speed import prepare_network
from esrgan_plugins.modelfiles.description import describe
from esrgan_plugins.training.accel import make_accelerator, seed_everything
from esrgan_plugins.training.checkpoints import load_into, read_pretrained, save_models
from esrgan_plugins.training.data import mix_seed
from esrgan_plugins.training.ema import EMA
from esrgan_plugins.training.optim import build_optimizer, build_scheduler
from esrgan_plugins.training.pairs import PairMaker

log = logging.getLogger("esrgan.train")


def total(terms: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The sum of loss terms (a scalar tensor)."""
    return torch.stack([t.float() for t in terms.values()]).sum()


# Loss inputs computed on demand, by declared name: only when some loss lists the name in ``inputs``.
# ``provider(trainer, pair) -> tensor``.
INPUT_PROVIDERS = {
    "sr_ema": lambda trainer, pair: trainer.ema_output(pair["lq"]),
}


class NonFiniteLossError(RuntimeError):
    """A loss became NaN/Inf; raised before its gradient is applied."""


@attrs.define
class StageContext:
    """What a trainer factory gets besides its stage params: ``factory(params, context)``."""

    run: Any  # RunParams
    ctx: RunContext
    index: int
    stage_dir: Path
    base_dir: Path
    previous_ema: Mapping[str, torch.Tensor] | None = None
    config_hash: str = ""


@attrs.define
class Counters:
    """Registered for checkpointing: progress and best validation values."""

    iteration: int = 0
    micro_step: int = 0
    best: dict = attrs.Factory(dict)

    def state_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "micro_step": self.micro_step, "best": dict(self.best)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.iteration, self.micro_step = int(state["iteration"]), int(state["micro_step"])
        self.best = dict(state.get("best", {}))


class BaseTrainer:
    """Generator training with EMA; ``train_step(batch) -> {name: float}``."""

    has_discriminator = False

    def __init__(self, params: Any, context: StageContext) -> None:
        self.params, self.context, self.run = params, context, context.run
        tp = params.train
        self.total_iter = tp.total_iter
        self.accelerator = make_accelerator(tp.mixed_precision, tp.gradient_accumulation_steps)
        self.device = self.accelerator.device
        seed_everything(mix_seed(self.run.seed, context.index), self.run.deterministic)
        self.counters = Counters()
        self.stop_reason: str | None = None
        net_g = context.ctx.build(params.network_g)
        self.description = describe(params.network_g.type, context.ctx.registries["networks"].get(params.network_g.type).factory,
                                    params.network_g.params, source=f"{self.run.name}/{params.name}")
        self.load_reports = self._init_generator(net_g)
        self.ema = EMA(net_g, tp.ema_decay)  # starts equal to G (G from the previous stage's EMA, or fresh)
        path = params.path
        if path.pretrain_network_g is not None and path.param_key_g != "params_ema":
            state, source = read_pretrained(path.pretrain_network_g, "params_ema")  # reference: EMA from params_ema
            self.load_reports.append(f"EMA: {load_into(self.ema.module, state, strict=path.strict_load_g, source=source).summary()}")
        self.ema.module.to(self.device)
        self.losses = [spec.build(context.ctx.registries).to(self.device) for spec in tp.losses]
        self.losses = [loss for loss in self.losses if getattr(loss, "enabled", True)]
        declared = {name for loss in self.losses for name in getattr(loss, "inputs", ())}
        self.provided_inputs = sorted(declared & INPUT_PROVIDERS.keys())
        need_usm = any("gt_usm" in getattr(loss, "inputs", ()) for loss in self.losses) or bool(getattr(tp, "gan_gt_usm", False))
        net_g = prepare_network(net_g, channels_last=tp.channels_last, compile=tp.compile)
        opt_g = build_optimizer(net_g.parameters(), tp.optim_g)
        self.sched_g = build_scheduler(opt_g, tp.scheduler, tp.total_iter)
        self.pairs = PairMaker(self.run, context.ctx, sharpen_target=self.sharpen_target, need_usm=need_usm)
        extra = self.build_extra()
        prepared = self.accelerator.prepare(net_g, opt_g, *extra)
        self.net_g, self.opt_g = prepared[0], prepared[1]
        self.set_prepared(prepared[2:])
        for obj in (self.sched_g, *self.extra_schedulers(), self.ema, self.counters):
            self.accelerator.register_for_checkpointing(obj)

    # -- set-up hooks for subclasses ------------------------------------------------------------
    @property
    def sharpen_target(self) -> bool:
        """ESRNet with ``gt_usm: true`` trains towards the sharpened GT."""
        return bool(getattr(self.params.train, "gt_usm", False))

    def build_extra(self) -> tuple[Any, ...]:
        """More objects to pass through ``accelerator.prepare`` (the discriminator and its optimizer)."""
        return ()

    def set_prepared(self, prepared: tuple[Any, ...]) -> None:
        """Receives the prepared versions of :meth:`build_extra`'s objects."""

    def extra_schedulers(self) -> tuple[Any, ...]:
        return ()

    def _init_generator(self, net_g: torch.nn.Module) -> list[str]:
        path = self.params.path
        if path.pretrain_network_g is not None:
            state, source = read_pretrained(path.pretrain_network_g, path.param_key_g)
            report = load_into(net_g, state, strict=path.strict_load_g, source=source)
            return [f"network_g: {report.summary()}"]
        if self.context.previous_ema is not None and path.init_from_previous:
            report = load_into(net_g, self.context.previous_ema, strict=True, source="the previous stage's EMA")
            return [f"network_g: {report.summary()}"]
        return []

    # -- the step ---------------------------------------------------------------------------------
    @property
    def iteration(self) -> int:
        return self.counters.iteration

    def request_stop(self, reason: str) -> None:
        """Stop after the current iteration (observer plugins call this)."""
        self.stop_reason = reason

    def generator_for_step(self) -> torch.Generator:
        """The degradation generator of the current micro-batch: from (seed, stage, rank, micro-step)."""
        seed = mix_seed(self.run.seed, self.context.index, self.accelerator.process_index, self.counters.micro_step)
        return torch.Generator(device=self.device).manual_seed(seed)

    def train_step(self, batch: Mapping[str, Any]) -> dict[str, float]:
        raise NotImplementedError

    def loss_inputs(self, sr: torch.Tensor, pair: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The tensors losses pick their ``inputs`` from (on-demand ones only when a loss declares them)."""
        inputs = {"sr": sr, "gt": pair["gt"], "gt_usm": pair["gt_usm"]}
        for name in self.provided_inputs:
            inputs[name] = INPUT_PROVIDERS[name](self, pair)
        return inputs

    @torch.no_grad()
    def ema_output(self, lq: torch.Tensor) -> torch.Tensor:
        """The EMA generator's output on ``lq`` (no gradient)."""
        return self.ema.module(lq)

    def check_finite(self, terms: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """The terms as floats (one device sync for all); raises on the first NaN/Inf."""
        values = torch.stack([v.detach().float().reshape(()) for v in terms.values()]).tolist()
        out = dict(zip(terms, values))
        for name, v in out.items():
            if not math.isfinite(v):
                raise NonFiniteLossError(f"loss {name} is {v} at iteration {self.iteration + 1} of stage "
                                         f"{self.params.name!r}")
        return out

    def g_loss_terms(self, inputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Every generator loss term of ``inputs`` (call under autocast)."""
        terms: dict[str, torch.Tensor] = {}
        for loss in self.losses:
            terms.update(loss(**inputs))
        return terms

    def g_update(self, terms: Mapping[str, torch.Tensor]) -> dict[str, float]:
        """Check, sum and back-propagate ``terms``, clip and step G; returns the logged values."""
        logs = self.check_finite(terms)
        l_total = total(terms)
        self.accelerator.backward(l_total)
        self.clip(self.net_g)
        self.opt_g.step()
        logs["l_g_total"] = float(l_total.detach())
        return logs

    def finish_micro_step(self) -> bool:
        """After each micro-batch: when gradients synced, update EMA, LR and the iteration count."""
        self.counters.micro_step += 1
        if not self.accelerator.sync_gradients:
            return False
        self.ema.update(self.accelerator.unwrap_model(self.net_g))
        self.sched_g.step()
        for s in self.extra_schedulers():
            s.step()
        self.counters.iteration += 1
        return True

    def clip(self, model: torch.nn.Module) -> None:
        clip = self.params.train.grad_clip
        if clip and self.accelerator.sync_gradients:
            self.accelerator.clip_grad_norm_(model.parameters(), clip)

    def lr(self) -> float:
        return float(self.sched_g.get_last_lr()[0])

    # -- files ------------------------------------------------------------------------------------
    def discriminator(self) -> torch.nn.Module | None:
        return None

    def save(self, tag: str | None = None) -> list[Path]:
        """Write the model files of the current iteration (main process only)."""
        if not self.accelerator.is_main_process:
            return []
        d = self.discriminator()
        return save_models(self.context.stage_dir / "models", tag or str(self.iteration),
                           net_g=self.accelerator.unwrap_model(self.net_g), ema=self.ema.module,
                           net_d=self.accelerator.unwrap_model(d) if d is not None else None,
                           description=self.description, iteration=self.iteration,
                           config_hash=self.context.config_hash)

    def write_state(self, folder: Path) -> None:
        """Collective: every process writes its part of a training state into ``folder``."""
        self.accelerator.save_state(str(folder))
        torch.save(self.pairs.state_dict(), Path(folder) / f"pool_rank{self.accelerator.process_index}.pt")
        self.accelerator.wait_for_everyone()

    def resume(self, folder: Path) -> None:
        """Load a training state written by :meth:`write_state` (all processes)."""
        self.accelerator.load_state(str(folder))
        pool = Path(folder) / f"pool_rank{self.accelerator.process_index}.pt"
        if pool.is_file():
            self.pairs.load_state_dict(torch.load(pool, map_location=self.device, weights_only=True))
