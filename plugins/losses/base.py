"""The base classes of the built-in losses (the contract is :class:`esrgan_core.contracts.Loss`).

A loss is a ``torch.nn.Module`` (so ``.to(device)`` moves any frozen network it holds) with
``inputs`` (the names it reads, :data:`esrgan_core.contracts.LOSS_INPUTS`: ``sr``, ``sr_ema``,
``gt``, ``gt_usm``, ``lq``, ``fake_logits``; the trainer computes each only when a loss lists it),
``weight`` (0: off; a switched-off loss returns ``{}``), ``adversarial``, and
``loss(**tensors) -> {term: weighted scalar}``. Tensors it does not list in ``inputs`` are ignored.
Optionally its params class has ``preflight()``: raises (e.g. MissingWeightsError naming the file)
if something the loss will need is absent; the train task calls it before the first stage starts.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class Loss(nn.Module):
    """Base class of the built-in losses (a plugin may use it or only follow the same shape)."""

    inputs: tuple[str, ...] = ()
    adversarial: bool = False
    weight: float = 1.0

    @property
    def enabled(self) -> bool:
        """False when the weight is 0 (the trainer drops the loss; calling it returns ``{}``)."""
        return self.weight > 0

    def take(self, tensors: dict[str, torch.Tensor], name: str) -> torch.Tensor:
        """``tensors[name]``, or a one-line error saying which loss needs which input."""
        try:
            return tensors[name]
        except KeyError:
            raise ValueError(
                f"loss {type(self).__name__} needs the input {name!r}; got {', '.join(sorted(tensors)) or 'none'}"
            ) from None


class TargetLoss(Loss):
    """A loss of ``sr`` against ``params.target`` (``gt`` or ``gt_usm``), on when ``params.weight > 0``.

    Subclasses implement :meth:`terms` on the two tensors; a disabled loss returns ``{}``. With
    ``full_precision`` the terms are computed in float32 with autocast off (statistics such as
    E[x^2] - E[x]^2 lose everything in bf16/fp16).
    """

    extra_inputs: tuple[str, ...] = ()
    full_precision: bool = False

    def __init__(self, params: Any) -> None:
        super().__init__()
        validate = getattr(params, "validate", None)
        if callable(validate):
            validate()
        self.params = params
        self.inputs = ("sr", *self.extra_inputs, params.target)
        self.weight = params.weight

    def terms(self, sr: torch.Tensor, target: torch.Tensor, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self, **tensors: torch.Tensor) -> dict[str, torch.Tensor]:
        if not self.enabled:
            return {}
        sr, target = self.take(tensors, "sr"), self.take(tensors, self.params.target)
        if not self.full_precision:
            return self.terms(sr, target, tensors)
        with torch.autocast(sr.device.type, enabled=False):
            return self.terms(sr.float(), target.float(), tensors)


def reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    """``"mean"`` over every element, or ``"sum"``."""
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    raise ValueError(f"unknown reduction {reduction!r}")
