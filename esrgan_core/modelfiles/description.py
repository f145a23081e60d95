"""What a loaded model is: architecture, scale, channels, precisions, where it came from."""

from __future__ import annotations

from typing import Any

import attrs
from torch import nn

from esrgan_core.contracts import describe_network
from esrgan_core.schema import to_plain

SPANDREL_PREFIX = "spandrel:"


@attrs.frozen
class ModelDescription:
    """Facts about a model, enough to rebuild and run it.

    ``architecture`` is a ``networks`` registry name (``rrdbnet``) or ``spandrel:<ArchId>`` for an
    architecture only spandrel knows. ``hyperparameters`` are the params class fields as plain
    data (for spandrel models: spandrel's recorded constructor arguments, informative only).
    ``size_multiple``: the input H and W the network works on internally are multiples of this;
    our networks pad other sizes themselves. ``source``: the file path or built-in name.
    """

    architecture: str
    scale: int
    in_channels: int
    out_channels: int
    hyperparameters: dict[str, Any] = attrs.field(factory=dict, hash=False)
    supports_half: bool = True
    supports_bfloat16: bool = True
    size_multiple: int = 1
    source: str = ""


@attrs.frozen
class LoadedModel:
    """A network ready for inference (eval mode, float32, CPU) and its description.

    The network maps RGB float NCHW in [0, 1] to RGB float NCHW (not clamped).
    """

    network: nn.Module
    description: ModelDescription


def describe(architecture: str, factory: Any, params: Any, *, source: str = "") -> ModelDescription:
    """The description of a registered network built from ``params``.

    See :func:`esrgan_core.contracts.describe_network` (the architecture's ``describe``, or the
    generic ``scale``, ``num_in_ch``, ``num_out_ch`` fields). A factory that is an alias of another
    registered network (``factory.canonical``: that name, ``factory.canonical_params(params)``: its
    params) is described as that network, so one network has one description however it was named.
    """
    info = describe_network(factory, params)
    canonical = getattr(factory, "canonical", None)
    if isinstance(canonical, str) and callable(getattr(factory, "canonical_params", None)):
        architecture, params = canonical, factory.canonical_params(params)
    hyper = to_plain(params) if params is not None else {}
    return ModelDescription(architecture=architecture, hyperparameters=hyper, source=source, **info)
