"""Small real networks used as test models by the upscale tests (not mocks of our components)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def seeded(net: nn.Module, seed: int = 0, std: float = 0.1) -> nn.Module:
    """Set every parameter from a seeded generator (no global RNG)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * std)
    return net.eval()


class ShuffleNet(nn.Module):
    """3 convs (receptive-field radius 3 px) + pixel shuffle, plus a nearest-upsampled skip."""

    def __init__(self, scale: int = 2, feat: int = 8) -> None:
        super().__init__()
        self.scale = scale
        self.body = nn.Sequential(nn.Conv2d(3, feat, 3, padding=1), nn.ReLU(), nn.Conv2d(feat, feat, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(feat, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + F.interpolate(x, scale_factor=self.scale, mode="nearest")


class NearestNet(nn.Module):
    """Nearest-neighbour upsampling: the exact expected output is ``np.repeat``."""

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")


class MemoryLimitedNet(nn.Module):
    """Wraps a net; raises torch.OutOfMemoryError for tiles whose side exceeds ``limit`` (as CUDA would)."""

    def __init__(self, net: nn.Module, limit: int) -> None:
        super().__init__()
        self.net, self.limit, self.sizes = net, limit, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(tuple(x.shape))
        if max(x.shape[-2:]) > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory (test model)")
        return self.net(x)


class ReducedPrecisionFailure(nn.Module):
    """A real conv net whose output is NaN (``mode='nan'``) or black (``'black'``) unless run in float32."""

    def __init__(self, mode: str = "nan", scale: int = 2) -> None:
        super().__init__()
        self.inner, self.mode = seeded(ShuffleNet(scale)), mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        if out.dtype != torch.float32:
            out = out * float("nan") if self.mode == "nan" else torch.zeros_like(out)
        return out


class MultipleOf4Net(nn.Module):
    """x2 net that only accepts H and W divisible by 4 (like pixel-unshuffle models)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(48, 3 * 64, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[-2] % 4 == 0 and x.shape[-1] % 4 == 0, x.shape
        return F.pixel_shuffle(self.conv(F.pixel_unshuffle(x, 4)), 8)
