"""LPIPS (Zhang et al. 2018) through the ``lpips`` package, without any download.

Every file comes from :func:`esrgan_core.weights.resolve` (configured path, ``$ESRGAN_WEIGHTS_DIR``,
torch hub cache, the copy inside a wheel, else a hash-checked download unless offline):

- linear calibration layers: ``lpips_alex`` / ``lpips_vgg`` (shipped inside the ``lpips`` package);
- ImageNet backbone: ``alexnet`` (``alexnet-owt-7be5be79.pth``) or ``vgg16`` (``vgg16-397923af.pth``).

If a file is absent and cannot be downloaded, a :class:`MissingWeightsError` says where it goes;
there is no silent fallback to random weights. ``allow_random_backbone: true`` keeps a seeded random backbone instead:
it exists only for tests, and the scores it gives mean nothing.

Input convention (see :mod:`esrgan_plugins.metrics.base`): HWC RGB, float [0,1] or uint8, rounded
to 8-bit levels, then scaled to [-1, 1] as LPIPS expects. Lower is better.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import numpy as np
import torch

from esrgan_core.devices import resolve_device
from esrgan_core.errors import MissingWeightsError
from esrgan_core.features.lpips_net import BACKBONES, build_lpips
from esrgan_core.schema import param
from esrgan_core.weights import resolve
from esrgan_plugins.metrics.base import check_pair, rgb_u8


@attrs.frozen
class LpipsParams:
    """Options of the ``lpips`` metric."""

    net: Literal["alex", "vgg"] = param("alex", help="LPIPS backbone: alex (the usual) or vgg")
    weights: Path | None = param(
        None, help="path of the torchvision backbone file (alexnet-owt-7be5be79.pth / vgg16-397923af.pth; else the registry lookup)"
    )
    device: str = param("auto", help="torch device for the network: auto (cuda if available), cpu, cuda, ...")
    allow_random_backbone: bool = param(
        False, help="TESTS ONLY: use a seeded random backbone when its weights are missing (scores are meaningless)"
    )


def build_lpips_model(params: LpipsParams) -> torch.nn.Module:
    """The lpips network (eval mode, on the configured device), backbone loaded from disk."""
    try:
        file: Path | None = resolve(BACKBONES[params.net], params.weights, download=not params.allow_random_backbone)
    except MissingWeightsError:
        if not params.allow_random_backbone:
            raise
        file = None
    return build_lpips(params.net, file).to(resolve_device(params.device))


class Lpips:
    """LPIPS distance of HWC RGB images (float [0,1] or uint8); lower is better."""

    higher_is_better = False
    per_image = True

    def __init__(self, params: LpipsParams | None = None) -> None:
        self.params = params or LpipsParams()
        self.name = "lpips" if self.params.net == "alex" else f"lpips_{self.params.net}"
        self.model = build_lpips_model(self.params)
        self.device = next(self.model.parameters()).device

    def _tensor(self, img: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(rgb_u8(img).transpose(2, 0, 1))).float().div(255)
        return t[None].to(self.device)

    @torch.no_grad()
    def __call__(self, sr: np.ndarray, hr: np.ndarray) -> float:
        check_pair(sr, hr)
        return float(self.model(self._tensor(sr), self._tensor(hr), normalize=True).item())
