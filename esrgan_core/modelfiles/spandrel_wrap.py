"""Fallback for architectures we do not implement: let spandrel recognise and build them.

The result is wrapped as an inference-only network (parameters frozen) with a description whose
architecture is ``spandrel:<ArchId>``. Its forward pads to spandrel's size requirements and crops,
but does not clamp (like our own networks).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import torch
from torch import nn

from esrgan_core.modelfiles.description import SPANDREL_PREFIX, LoadedModel, ModelDescription
from esrgan_core.padding import crop_to, pad_right_bottom


class SpandrelNetwork(nn.Module):
    """A spandrel image model as a plain module: RGB float NCHW [0, 1] in, (B, C, sH, sW) out."""

    inference_only = True

    def __init__(self, descriptor: Any) -> None:
        super().__init__()
        self.inner = descriptor.model
        self.scale = int(descriptor.scale)
        self.size_requirements = descriptor.size_requirements
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        pad_w, pad_h = self.size_requirements.get_padding(w, h)
        out = self.inner(pad_right_bottom(x, pad_h, pad_w))
        return crop_to(out, h * self.scale, w * self.scale)

    def export_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights under spandrel's own key names (what spandrel detects when reloading)."""
        return self.inner.state_dict()


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def load_with_spandrel(state_dict: Mapping[str, torch.Tensor], *, source: str) -> tuple[LoadedModel | None, str]:
    """``(loaded model, "")`` if spandrel knows the architecture, else ``(None, reason)``."""
    try:
        import spandrel
    except ImportError:  # pragma: no cover - spandrel is a dependency
        return None, "spandrel is not installed"
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(dict(state_dict))
    except spandrel.UnsupportedModelError:
        return None, "spandrel does not recognise it either"
    except Exception as exc:  # an architecture matched the keys but could not load them
        return None, f"spandrel failed: {type(exc).__name__}: {str(exc)[:160]}"
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        return None, f"spandrel architecture {descriptor.architecture.id} is not an image-to-image model"
    net = SpandrelNetwork(descriptor).float()
    description = ModelDescription(
        architecture=SPANDREL_PREFIX + str(descriptor.architecture.id), scale=int(descriptor.scale),
        in_channels=int(descriptor.input_channels), out_channels=int(descriptor.output_channels),
        hyperparameters=_plain(getattr(descriptor.model, "hyperparameters", {}) or {}),
        supports_half=bool(descriptor.supports_half), supports_bfloat16=bool(descriptor.supports_bfloat16),
        size_multiple=int(descriptor.size_requirements.multiple_of), source=source,
    )
    return LoadedModel(net, description), ""
