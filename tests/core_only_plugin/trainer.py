"""A trainer written against ``esrgan_core`` only (contract: esrgan_core.contracts.Trainer).

It can start from a pretrained file: :func:`esrgan_core.modelfiles.loader.read_state_dict` reads any
model file the framework reads (``.pth``, ``.safetensors``, a built-in name; BasicSR wrapper keys
removed) and :func:`esrgan_core.modelfiles.fit.load_into` copies it into the network (strict: every
key and shape must match, else a ModelFileError naming the file).
"""

from __future__ import annotations

import copy
import math
from typing import Any, Mapping

import attrs
import torch

from esrgan_core.errors import NonFiniteLossError
from esrgan_core.modelfiles.fit import load_into
from esrgan_core.modelfiles.loader import read_state_dict
from esrgan_core.schema import param
from esrgan_core.trainer_api import SEED_NETWORK_G, PairRequest, StageContext, Step, TrainedNetworks
from esrgan_core.values import ComponentSpec


@attrs.frozen(kw_only=True)
class TinyTrainerParams:
    name: str = param("tiny", help="stage name")
    network_g: ComponentSpec = param(kind="networks", help="generator")
    losses: tuple[ComponentSpec, ...] = param(kind="losses", factory=tuple, help="generator losses")
    total_iter: int = param(3, ge=1, help="iterations")
    lr: float = param(1e-3, gt=0, help="Adam learning rate")
    ema_decay: float = param(0.5, ge=0, lt=1, help="EMA decay")
    pretrain_network_g: str | None = param(None, help="model file or built-in name the generator starts from")
    param_key_g: str = param("params_ema", help="wrapper key of a BasicSR .pth (params_ema falls back to params)")
    strict_load_g: bool = param(True, help="every key and shape must match the pretrained file")


class TinyTrainer:
    """Adam on the generator, an EMA copy, losses given their declared inputs from the pair."""

    def __init__(self, params: TinyTrainerParams, context: StageContext) -> None:
        self.params, self.total_iter, self.load_reports = params, params.total_iter, []
        self.acc = context.accelerator
        self.acc.gradient_accumulation_steps = 1
        net = context.build_network(params.network_g, SEED_NETWORK_G)
        if params.pretrain_network_g is not None:
            state, source = read_state_dict(params.pretrain_network_g, params.param_key_g)
            report = load_into(net, state, strict=params.strict_load_g, source=source)
            self.load_reports.append(f"network_g: {report.summary()}")
        self.ema = copy.deepcopy(net).to(self.acc.device).eval()
        self.losses = [context.build(spec).to(self.acc.device) for spec in params.losses]
        self.pair_request = PairRequest(gt_usm=any("gt_usm" in loss.inputs for loss in self.losses))
        self.net, self.opt = self.acc.prepare(net, torch.optim.Adam(net.parameters(), lr=params.lr))

    def train_step(self, pair: Mapping[str, torch.Tensor], step: Step) -> dict[str, float]:
        with self.acc.accumulate(self.net):
            sr = self.net(pair["lq"])
            tensors = {"sr": sr, **pair}
            terms: dict[str, torch.Tensor] = {}
            for loss in self.losses:
                terms.update(loss(**{name: tensors[name] for name in loss.inputs}))
            logs = {k: float(v.detach()) for k, v in terms.items()}
            bad = [k for k, v in logs.items() if not math.isfinite(v)]
            if bad:
                raise NonFiniteLossError(f"loss {bad[0]} is {logs[bad[0]]} at iteration {step.iteration}")
            self.acc.backward(torch.stack(list(terms.values())).sum())
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            for e, p in zip(self.ema.parameters(), self.acc.unwrap_model(self.net).parameters()):
                e.mul_(self.params.ema_decay).add_(p, alpha=1 - self.params.ema_decay)
        return logs

    def networks(self) -> TrainedNetworks:
        return TrainedNetworks(self.params.network_g, self.acc.unwrap_model(self.net), self.ema)

    def lr(self) -> float:
        return float(self.opt.param_groups[0]["lr"])

    def state_dict(self) -> dict[str, Any]:
        return {"ema": self.ema.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.ema.load_state_dict(state["ema"])
