"""The registry factory of one spandrel architecture: build, detect, describe.

``SpandrelArch(spec)(params)`` returns spandrel's own module (its state-dict keys are spandrel's,
so a saved file opens in chaiNNer / ComfyUI unchanged) patched for training by
:func:`~esrgan_plugins.archs.training.restore_training`. ``detect`` asks spandrel's architecture
support and accepts only files whose keys our module would produce exactly; ``describe`` reads
scale, channels, size requirements and precision support off spandrel's descriptor of the module.
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs
import torch
from torch import nn

from esrgan_plugins.archs.table import ArchSpec, resolve
from esrgan_plugins.archs.training import restore_training


def spandrel_architecture(arch_id: str) -> Any:
    import spandrel

    for support in spandrel.MAIN_REGISTRY.architectures():
        if support.architecture.id == arch_id:
            return support.architecture
    raise KeyError(f"spandrel has no architecture {arch_id!r}")


class SpandrelArch:
    """Factory for the ``networks`` registry (``factory(params) -> nn.Module``)."""

    def __init__(self, spec: ArchSpec) -> None:
        self.spec = spec
        self.licence = spec.licence  # shown by ``esrgan-run plugins``
        self.__name__ = spec.title
        self.__doc__ = f"{spec.title} (spandrel {spec.spandrel_id}; licence {spec.licence})"

    def __call__(self, params: Any = None) -> nn.Module:
        params = params if params is not None else self.spec.params()
        return restore_training(self.spec.build(resolve(self.spec, params)))

    def descriptor(self, params: Any) -> Any:
        """spandrel's ``ImageModelDescriptor`` of a freshly built network with ``params``."""
        net = self(params)
        return spandrel_architecture(self.spec.spandrel_id).load(dict(net.state_dict()))

    def detect(self, state_dict: Mapping[str, torch.Tensor]) -> Any:
        """Our params for a state dict spandrel recognises as this architecture, else None."""
        arch = spandrel_architecture(self.spec.spandrel_id)
        state = dict(state_dict)
        if not arch.detect(state):
            return None
        try:
            descriptor = arch.load(dict(state))
        except Exception:
            return None
        if self.spec.module_class and type(descriptor.model).__name__ != self.spec.module_class:
            return None
        if set(descriptor.model.state_dict()) != set(state):  # spandrel converted another key layout
            return None
        return params_from_hyperparameters(self.spec, descriptor)

    def describe(self, params: Any) -> dict[str, Any]:
        """Facts for a model description, from the options alone (no network is built; the tests
        check them against spandrel's descriptor of the built network)."""
        values = resolve(self.spec, params)
        in_ch = values.get("num_in_ch", 3)
        return {"scale": int(params.scale), "in_channels": in_ch, "out_channels": values.get("num_out_ch", in_ch),
                "size_multiple": self.spec.size_multiple(values), "supports_half": bool(params.fp16_safe()),
                "supports_bfloat16": True}


_RENAMES = {"upscale": "scale", "upscaling_factor": "scale", "up_scale": "scale", "num_filters": "num_filters",
            "depth": "depth", "in_nc": "num_in_ch", "out_nc": "num_out_ch", "use_chk": "checkpointing",
            "use_checkpoint": "checkpointing"}


def params_from_hyperparameters(spec: ArchSpec, descriptor: Any) -> Any:
    """Our params class filled from spandrel's recorded constructor arguments (all fields explicit)."""
    hyper = dict(getattr(descriptor.model, "hyperparameters", {}) or {})
    fields = {f.name: f for f in attrs.fields(spec.params)}
    values: dict[str, Any] = {}
    for key, value in hyper.items():
        name = _RENAMES.get(key, key)
        if name in fields and name != "checkpointing":
            values[name] = tuple(value) if isinstance(value, list) else value
    values["scale"] = int(descriptor.scale)
    if "num_in_ch" in fields:
        values["num_in_ch"] = int(descriptor.input_channels)
    if "pro" in fields:
        values["pro"] = bool(hyper.get("pro", False))
    return spec.params(**values)
