"""Whether a state dict fits a network, and loading what fits: the one weight-fitting path.

Used by the model-file loader (strict: rebuild a detected architecture), by training
(``path.pretrain_network_g`` with ``strict_load_g``, the previous stage's EMA) and by the train
task's preflight (shapes only).
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs
import torch
from torch import nn

from esrgan_core.errors import ModelFileError


@attrs.frozen
class LoadReport:
    """What :func:`load_into` did: keys loaded, skipped for shape, missing in the file, unused."""

    source: str
    loaded: int
    total: int
    shape_mismatch: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return not (self.shape_mismatch or self.missing or self.unexpected)

    def summary(self) -> str:
        parts = [f"loaded {self.loaded}/{self.total} tensors from {self.source}"]
        if self.shape_mismatch:
            parts.append(f"skipped for shape: {', '.join(self.shape_mismatch)}")
        if self.missing:
            parts.append(f"missing (kept initialised): {', '.join(self.missing)}")
        if self.unexpected:
            parts.append(f"unused in file: {', '.join(self.unexpected)}")
        return "; ".join(parts)

    def problems(self, limit: int = 3) -> str:
        """A short list of what differs (empty when the state dict fits exactly)."""
        out = []
        for label, items in (("missing", self.missing), ("unexpected", self.unexpected), ("shape", self.shape_mismatch)):
            if items:
                more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
                out.append(f"{label}: {', '.join(items[:limit])}{more}")
        return "; ".join(out)


def fit_shapes(own: Mapping[str, tuple[int, ...]], state: Mapping[str, Any], *, source: str) -> LoadReport:
    """How ``state`` (tensors, or anything with ``.shape``) fits a network's ``{key: shape}``
    (nothing is loaded; ``loaded`` counts the usable tensors)."""
    missing = tuple(k for k in own if k not in state)
    unexpected = tuple(k for k in state if k not in own)
    mismatch = tuple(k for k in own if k in state and tuple(state[k].shape) != tuple(own[k]))
    return LoadReport(source, len(own) - len(missing) - len(mismatch), len(own), mismatch, missing, unexpected)


def fit(net: nn.Module, state: Mapping[str, torch.Tensor], *, source: str) -> LoadReport:
    """How ``state`` fits ``net`` (see :func:`fit_shapes`)."""
    return fit_shapes({k: tuple(v.shape) for k, v in net.state_dict().items()}, state, source=source)


def load_into(net: nn.Module, state: Mapping[str, torch.Tensor], *, strict: bool, source: str) -> LoadReport:
    """Copy ``state`` into ``net``. Strict: every key and shape must match (else ModelFileError).
    Not strict (BasicSR-like): shape-mismatched keys are skipped and reported, the rest loaded."""
    report = fit(net, state, source=source)
    if strict and not report.exact:
        raise ModelFileError(f"does not fit the network ({attrs.evolve(report, loaded=0).summary()}); set strict_load "
                             "to false to load what fits", file=source)
    own = net.state_dict()
    usable = {k: v for k, v in state.items() if k in own and k not in report.shape_mismatch}
    net.load_state_dict(usable, strict=False)
    return report
