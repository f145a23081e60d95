"""The ``stlpips`` metric: shift-tolerant LPIPS (Ghildyal & Liu, ECCV 2022); lower is better.

Weights: ``stlpips_alex`` / ``stlpips_vgg`` from the weights registry (the copy inside the
``stlpips-pytorch`` wheel, ``pip install 'esrgan[metrics]'``, or ``$ESRGAN_WEIGHTS_DIR`` / torch hub
cache / a hash-checked download). Network: :mod:`.stlpips_net`.

Input convention (see :mod:`esrgan_plugins.metrics.base`): HWC RGB, float [0,1] or uint8, rounded to
8-bit levels, then mapped to [-1, 1] (``2x - 1``) in RGB order, as the reference code expects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import numpy as np
import torch

from esrgan_core import weights
from esrgan_core.devices import resolve_device
from esrgan_core.errors import ModelFileError
from esrgan_core.schema import param
from esrgan_plugins.metrics.base import check_pair, rgb_u8
from esrgan_plugins.metrics.stlpips_net import StLpipsNet


@attrs.frozen
class StLpipsParams:
    """Options of the ``stlpips`` metric."""

    net: Literal["alex", "vgg"] = param("alex", help="ST-LPIPS backbone: alex (the usual) or vgg")
    weights: Path | None = param(None, help="path of the ST-LPIPS weights file (else the registry lookup)")
    device: str = param("auto", help="torch device: auto (cuda if available), cpu, cuda, ...")


def build_stlpips(net: str, weights_path: Path | None = None) -> StLpipsNet:
    """The ST-LPIPS network with its released weights (strict load; a wrong file is a ModelFileError)."""
    file = weights.resolve(f"stlpips_{net}", weights_path)
    model = StLpipsNet(net)
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except Exception as exc:  # unreadable or another network's file
        raise ModelFileError(f"not the ST-LPIPS {net} weights ({type(exc).__name__}: {exc})"[:300], file=file) from None
    return model


def to_pm1(img: np.ndarray, device: torch.device) -> torch.Tensor:
    """HWC RGB (float [0,1] / uint8) -> 1x3xHxW float32 in [-1, 1] on 8-bit levels."""
    t = torch.from_numpy(np.ascontiguousarray(rgb_u8(img).transpose(2, 0, 1))).float().div(127.5).sub(1.0)
    return t[None].to(device)


class StLpips:
    """ST-LPIPS distance of HWC RGB images (float [0,1] or uint8); lower is better, 0 for identical."""

    higher_is_better = False
    per_image = True

    def __init__(self, params: StLpipsParams | None = None) -> None:
        self.params = params or StLpipsParams()
        self.name = "stlpips" if self.params.net == "alex" else f"stlpips_{self.params.net}"
        self.device = resolve_device(self.params.device)
        self.model = build_stlpips(self.params.net, self.params.weights).to(self.device)

    @torch.no_grad()
    def __call__(self, sr: np.ndarray, hr: np.ndarray) -> float:
        check_pair(sr, hr)
        return float(self.model(to_pm1(sr, self.device), to_pm1(hr, self.device)).item())
