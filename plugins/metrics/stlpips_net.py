"""The ST-LPIPS networks (Ghildyal & Liu, ECCV 2022), written here from the paper's released code.

ST-LPIPS is LPIPS (Zhang et al. 2018) computed with a *shift-tolerant* backbone: every strided
operation of AlexNet / VGG16 is split into a stride-1 operation followed by an anti-aliasing
blur-pool (a normalised [1,2,1]x[1,2,1] binomial filter applied with stride 2 after reflection
padding of 2 pixels per side), and the first AlexNet convolution runs with stride 1. Backbone and
linear layers were trained together on BAPPS; the released weights (``stlpips_alex``, ``stlpips_vgg``
in the weights registry, shipped in the ``stlpips-pytorch`` wheel, BSD-2) hold both.

The distance of two RGB images x0, x1 in [-1, 1] (NCHW) is, as in LPIPS v0.1::

    x -> (x - shift) / scale                        # ScalingLayer: ImageNet statistics on [-1, 1]
    f_l = backbone layer l output (5 layers), unit-normalised over channels (eps 1e-10)
    d = sum_l mean_{h,w} ( w_l . (f_l(x0) - f_l(x1))^2 )    # w_l: 1x1 conv, no bias, >= 0

Module and parameter names follow the released state dicts, so those files load strictly.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}


class BlurPool(nn.Module):
    """Reflection-pad by 2, then a per-channel normalised [1,2,1] outer-product filter, stride 2."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        a = torch.tensor([1.0, 2.0, 1.0])
        filt = a[:, None] * a[None, :]
        self.register_buffer("filt", (filt / filt.sum())[None, None].repeat(channels, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), self.filt, stride=2, groups=x.shape[1])


def _alex_layers() -> list[nn.Module]:
    return [
        nn.Conv2d(3, 64, 11, stride=1, padding=2), BlurPool(64), nn.ReLU(),  # slice1: 0-2
        nn.MaxPool2d(3, stride=1), BlurPool(64), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),  # slice2: 3-6
        nn.MaxPool2d(3, stride=1), BlurPool(192), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),  # slice3: 7-10
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),  # slice4: 11-12
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),  # slice5: 13-14
    ]


def _vgg_layers() -> list[nn.Module]:
    layers: list[nn.Module] = []
    cin = 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512):
        if v == "M":
            layers += [nn.MaxPool2d(2, stride=1), BlurPool(cin)]
        else:
            layers += [nn.Conv2d(cin, int(v), 3, padding=1), nn.ReLU()]
            cin = int(v)
    return layers


SLICES = {"alex": (0, 3, 7, 11, 13, 15), "vgg": (0, 4, 10, 18, 26, 34)}


class ShiftTolerantBackbone(nn.Module):
    """Five feature slices (``slice1..slice5``) of the shift-tolerant AlexNet or VGG16."""

    def __init__(self, net: str) -> None:
        super().__init__()
        layers = _alex_layers() if net == "alex" else _vgg_layers()
        bounds = SLICES[net]
        for k in range(5):
            seq = nn.Sequential()
            for i in range(bounds[k], bounds[k + 1]):
                seq.add_module(str(i), layers[i])
            self.add_module(f"slice{k + 1}", seq)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for k in range(1, 6):
            x = getattr(self, f"slice{k}")(x)
            out.append(x)
        return out


class LinLayer(nn.Module):
    """LPIPS' 1x1 calibration layer (``model.1.weight``; the dropout at ``model.0`` is off in eval)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class ScalingLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT)[None, :, None, None])
        self.register_buffer("scale", torch.tensor(SCALE)[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


def _unit(f: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return f / (torch.sqrt(torch.sum(f * f, dim=1, keepdim=True)) + eps)


class StLpipsNet(nn.Module):
    """ST-LPIPS distance: ``forward(x0, x1)`` with RGB NCHW in [-1, 1] -> (N,) distances."""

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net not in CHANNELS:
            raise ValueError(f"net must be alex or vgg, got {net!r}")
        self.scaling_layer = ScalingLayer()
        self.net = ShiftTolerantBackbone(net)
        for i, c in enumerate(CHANNELS[net]):
            self.add_module(f"lin{i}", LinLayer(c))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> StLpipsNet:
        """Always stays in eval mode (frozen metric network, dropout off)."""
        return super().train(False)

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        f0, f1 = self.net(self.scaling_layer(x0)), self.net(self.scaling_layer(x1))
        total = torch.zeros(x0.shape[0], device=x0.device, dtype=x0.dtype)
        for i, (a, b) in enumerate(zip(f0, f1)):
            diff = (_unit(a) - _unit(b)) ** 2
            total = total + getattr(self, f"lin{i}")(diff).mean(dim=(1, 2, 3))
        return total
