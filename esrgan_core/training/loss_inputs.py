"""Loss inputs by declared name: one provider table, computed lazily, at most once per step.

A loss lists the tensors it reads in ``inputs``; the trainer hands it exactly those, each made by
the provider of that name from the step's :class:`StepTensors`. A new input (e.g. ``sr_ema``, the
EMA generator's output) is one more entry in :data:`PROVIDERS`; no trainer branches on loss names.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import attrs
import torch

from esrgan_core.errors import ConfigError


@attrs.define
class StepTensors:
    """What providers read: the pair, the generator output and the trainer (for its networks)."""

    pair: Mapping[str, torch.Tensor]
    sr: torch.Tensor
    trainer: Any
    cache: dict[str, torch.Tensor] = attrs.field(factory=dict)


Provider = Callable[[StepTensors], torch.Tensor]


def _pair(name: str) -> Provider:
    return lambda s: s.pair[name]


def _fake_logits(s: StepTensors) -> torch.Tensor:
    """D's logits of ``sr`` with D frozen (the unwrapped module: no gradient reaches D)."""
    return s.trainer.frozen_discriminator()(s.sr)


PROVIDERS: dict[str, Provider] = {
    "sr": lambda s: s.sr,
    "sr_ema": lambda s: s.trainer.ema_output(s.pair["lq"]),
    "gt": _pair("gt"),
    "gt_usm": _pair("gt_usm"),
    "lq": _pair("lq"),
    "fake_logits": _fake_logits,
}


def provide(s: StepTensors, names: Iterable[str]) -> dict[str, torch.Tensor]:
    """``{name: tensor}`` for ``names``; each input is computed once per step."""
    out = {}
    for name in names:
        if name not in s.cache:
            s.cache[name] = PROVIDERS[name](s)
        out[name] = s.cache[name]
    return out


def check_inputs(losses: Iterable[Any], path: str, *, adversarial_ok: bool) -> None:
    """ConfigError (at the loss's path) for an input no provider makes, or one this trainer lacks."""
    for i, loss in enumerate(losses):
        for name in loss.inputs:
            if name not in PROVIDERS:
                raise ConfigError(f"the loss reads {name!r}, which no trainer provides; known inputs: "
                                  f"{', '.join(PROVIDERS)}", path=f"{path}[{i}]")
            if name == "fake_logits" and not adversarial_ok:
                raise ConfigError("the loss reads discriminator logits: use a stage with a discriminator "
                                  "(type: esrgan)", path=f"{path}[{i}]")
