"""The LPIPS network (Zhang et al. 2018) built from registry files: shared by the ``lpips`` metric and loss.

Files come from :func:`esrgan_core.weights.resolve`: the linear calibration layers ``lpips_alex`` /
``lpips_vgg`` (shipped inside the ``lpips`` package) and the ImageNet backbone ``alexnet``
(``alexnet-owt-7be5be79.pth``) or ``vgg16`` (``vgg16-397923af.pth``). Inputs are NCHW RGB in [0,1]
when called with ``normalize=True`` (the package maps them to [-1,1]).
"""

from __future__ import annotations

from pathlib import Path

import torch

from esrgan_core.errors import ModelFileError
from esrgan_core.weights import resolve

BACKBONES = {"alex": "alexnet", "vgg": "vgg16"}  # LPIPS net -> weights registry name


def load_backbone(model: torch.nn.Module, file: Path) -> None:
    """Copy torchvision ``features.N.*`` tensors from ``file`` into lpips' ``net.sliceK.N.*``."""
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is reported the same way
        raise ModelFileError(f"cannot read backbone weights: {exc}", file=file) from None
    target = {}
    for name in model.net.state_dict():
        _, index, kind = name.split(".")
        key = f"features.{index}.{kind}"
        if key not in state:
            raise ModelFileError(f"not a torchvision backbone state dict (no {key})", file=file)
        target[name] = state[key]
    model.net.load_state_dict(target, strict=True)


def load_linear_layers(model: torch.nn.Module, net: str) -> None:
    """Load the calibrated linear layers ``lpips_<net>`` from the registry into ``model``."""
    lin_file = resolve(f"lpips_{net}")
    try:
        lins = torch.load(lin_file, map_location="cpu", weights_only=True)
        need = {k for k in model.state_dict() if k.startswith("lin") and not k.startswith("lins.")}
        if set(lins) != need:
            raise KeyError(f"keys {sorted(lins)[:3]}..., expected {sorted(need)[:3]}...")
        model.load_state_dict(lins, strict=False)
    except Exception as exc:
        raise ModelFileError(f"not the LPIPS linear layers ({type(exc).__name__}: {exc})"[:300], file=lin_file) from None


def build_lpips(net: str, backbone: Path | None) -> torch.nn.Module:
    """The frozen LPIPS network (eval mode, CPU); ``backbone=None`` keeps a seeded random backbone (tests only)."""
    import lpips

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = lpips.LPIPS(pretrained=False, net=net, pnet_rand=True, verbose=False)
    load_linear_layers(model, net)
    if backbone is not None:
        load_backbone(model, backbone)
    return model.eval().requires_grad_(False)
