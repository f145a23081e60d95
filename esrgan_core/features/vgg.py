"""Frozen VGG feature extractor for the perceptual loss (reference: BasicSR ``VGGFeatureExtractor``).

Layers are named by their position in torchvision's ``vgg19().features`` (or ``vgg16``):
``conv1_1`` is index 0, ``relu1_1`` 1, ``conv1_2`` 2, ``pool1`` 4, ..., ``conv5_4`` 34 (vgg19).
The network is truncated after the last requested layer. Its ReLUs are not in-place, so the feature
of a ``conv*`` layer is the convolution output *before* the ReLU (it can be negative), exactly like
the reference's ``.clone()``.

Weights are torchvision's ImageNet files (``vgg19-dcbb9e9d.pth``, ``vgg16-397923af.pth``), found by
:func:`esrgan_core.weights.resolve` (configured path, ``$ESRGAN_WEIGHTS_DIR``, torch hub cache, else a
hash-checked download unless offline). Random weights are used only when
``random_weights: true`` is set explicitly (tests, experiments).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import attrs
import torch
from torch import nn

from esrgan_core.errors import ModelFileError, ParamError
from esrgan_core.schema import param
from esrgan_core.weights import resolve

# Convolutions per block (torchvision configs "E" and "D").
_BLOCKS = {"vgg19": (2, 2, 4, 4, 4), "vgg16": (2, 2, 3, 3, 3)}
_CHANNELS = (64, 128, 256, 512, 512)
WEIGHT_FILES = {"vgg19": "vgg19-dcbb9e9d.pth", "vgg16": "vgg16-397923af.pth"}  # registry names: vgg19, vgg16
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_LAYERS = ("conv1_2", "conv2_2", "conv3_4", "conv4_4", "conv5_4")


def layer_names(vgg_type: str) -> tuple[str, ...]:
    """Names of ``vgg_type``'s feature layers in torchvision order (index = position)."""
    names: list[str] = []
    for block, convs in enumerate(_BLOCKS[vgg_type], start=1):
        for j in range(1, convs + 1):
            names += [f"conv{block}_{j}", f"relu{block}_{j}"]
        names.append(f"pool{block}")
    return tuple(names)


LAYER_NAMES: dict[str, tuple[str, ...]] = {t: layer_names(t) for t in _BLOCKS}


@attrs.frozen
class VGGFeaturesParams:
    """Options of :class:`VGGFeatures`."""

    layers: tuple[str, ...] = param(DEFAULT_LAYERS, help="layer names whose outputs are returned (conv1_1..conv5_4, relu*_*, pool*)")
    vgg_type: Literal["vgg19", "vgg16"] = param("vgg19", help="torchvision VGG variant")
    use_input_norm: bool = param(True, help="normalise the input with the ImageNet mean/std")
    range_norm: bool = param(False, help="map the input from [-1,1] to [0,1] first: (x+1)/2")
    weights_path: str | None = param(None, help="path of the torchvision VGG weights file (else ESRGAN_WEIGHTS_DIR / torch hub cache)")
    random_weights: bool = param(False, help="use seeded random weights instead of ImageNet weights (tests only)")

    def validate(self) -> None:
        if not self.layers:
            raise ParamError("layers", "at least one layer is needed")
        known = LAYER_NAMES[self.vgg_type]
        for name in self.layers:
            if name not in known:
                raise ParamError("layers", f"unknown {self.vgg_type} layer {name!r}; known: {', '.join(known)}")


def _build_layers(vgg_type: str, last: int) -> nn.Sequential:
    """Layers 0..last of the torchvision VGG features, uninitialised (meta device, then empty)."""
    layers: list[nn.Module] = []
    in_ch = 3
    for convs, out_ch in zip(_BLOCKS[vgg_type], _CHANNELS):
        for _ in range(convs):
            layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1, device="meta"), nn.ReLU(inplace=False)]
            in_ch = out_ch
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers[: last + 1]).to_empty(device="cpu")


def _random_init(body: nn.Sequential, seed: int = 0) -> None:
    """torchvision's VGG init (kaiming normal, fan_out, relu; zero bias) from a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in body:
            if isinstance(m, nn.Conv2d):
                fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_out), generator=g)
                m.bias.zero_()


def load_vgg_state(body: nn.Sequential, path: Path) -> None:
    """Copy conv weights from a torchvision VGG file (``features.N.weight`` or bare ``N.weight`` keys)."""
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelFileError(f"cannot load VGG weights: {type(exc).__name__}: {exc}", file=path) from None
    if not isinstance(sd, dict):
        raise ModelFileError("not a state dict", file=path)
    if any(str(k).startswith("features.") for k in sd):
        sd = {k[len("features."):]: v for k, v in sd.items() if str(k).startswith("features.")}
    with torch.no_grad():
        for name, tensor in body.state_dict(keep_vars=True).items():
            src = sd.get(name)
            if src is None:
                raise ModelFileError(f"VGG weights lack the key features.{name}", file=path)
            if tuple(src.shape) != tuple(tensor.shape):
                raise ModelFileError(
                    f"features.{name} has shape {tuple(src.shape)}, expected {tuple(tensor.shape)}", file=path
                )
            tensor.copy_(src)


class VGGFeatures(nn.Module):
    """Frozen VGG features: ``forward(x)`` with x RGB NCHW float ([0,1], or [-1,1] with range_norm)
    returns ``{layer_name: feature}`` for every requested layer (conv features taken before the ReLU).
    """

    def __init__(self, params: VGGFeaturesParams, *, config_key: str = "weights_path", purpose: str = "the perceptual loss") -> None:
        super().__init__()
        params.validate()
        self.params = params
        names = LAYER_NAMES[params.vgg_type]
        self.layer_index = {n: names.index(n) for n in params.layers}
        last = max(self.layer_index.values())
        self.body = _build_layers(params.vgg_type, last)
        self._names_at = {i: n for n, i in self.layer_index.items()}
        if params.random_weights:
            _random_init(self.body)
        else:
            load_vgg_state(self.body, resolve(params.vgg_type, params.weights_path,
                                              purpose=f"{params.vgg_type.upper()} for {purpose}"))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGGFeatures:
        """Always stays in eval mode (the extractor is frozen)."""
        return super().train(False)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.params.range_norm:
            x = (x + 1) / 2
        if self.params.use_input_norm:
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out: dict[str, torch.Tensor] = {}
        for i, layer in enumerate(self.body):
            x = layer(x)
            name = self._names_at.get(i)
            if name is not None:
                out[name] = x
        return out
