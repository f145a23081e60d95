"""The camera model of Brooks et al., "Unprocessing Images for Learned Raw Denoising" (CVPR 2019).

Unprocess (sRGB -> linear camera RAW) and process (RAW -> sRGB) for RGB float NCHW batches, with
per-sample colour matrices and gains. Formulas and constants are the paper's (google-research
``unprocessing/unprocess.py`` and ``process.py``):

- tone: smoothstep ``3x^2 - 2x^3``; its inverse ``0.5 - sin(asin(1 - 2y) / 3)``;
- gamma: ``x^(1/2.2)``; inverse ``max(x, 1e-8)^2.2``;
- colour: ``rgb2cam`` = (random convex mix of four cameras' XYZ->cam matrices) @ sRGB->XYZ, rows
  normalised to sum 1; process applies its inverse ``cam2rgb``;
- white balance: gains (1/red, 1, 1/blue) / rgb_gain inverted with the highlight-preserving
  ``safe_invert_gains``; process multiplies back by (red, 1, blue) * rgb_gain (the paper leaves the
  1/rgb_gain darkening in; here exposure is restored so the stage keeps brightness);
- noise on the RGGB mosaic: N(0, shot * x + read) per photosite;
- demosaic: bilinear (the paper's choice) or OpenCV's edge-aware Bayer demosaic on 16-bit RAW.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from esrgan_core.padding import reflect_pad

XYZ2CAMS = ((( 1.0234, -0.2969, -0.2266), (-0.5625, 1.6328, -0.0469), (-0.0703, 0.2188, 0.6406)),  # noqa: E201
            (( 0.4913, -0.0541, -0.0202), (-0.6130, 1.3513,  0.2906), (-0.1564, 0.2151, 0.7183)),  # noqa: E201,E241
            (( 0.8380, -0.2630, -0.0639), (-0.2887, 1.0725,  0.2496), (-0.0627, 0.1427, 0.5438)),  # noqa: E201,E241
            (( 0.6596, -0.2079, -0.0562), (-0.4782, 1.3016,  0.1933), (-0.0970, 0.1581, 0.5181)))  # noqa: E201,E241
RGB2XYZ = ((0.4124564, 0.3575761, 0.1804375), (0.2126729, 0.7151522, 0.0721750), (0.0193339, 0.1191920, 0.9503041))


def rgb2cam(weights: torch.Tensor) -> torch.Tensor:
    """(n, 4) mixing weights -> (n, 3, 3) sRGB->camera matrices (rows sum to 1)."""
    xyz2cam = torch.einsum("nk,kij->nij", weights / weights.sum(1, keepdim=True), torch.tensor(XYZ2CAMS, dtype=weights.dtype))
    m = xyz2cam @ torch.tensor(RGB2XYZ, dtype=weights.dtype)
    return m / m.sum(-1, keepdim=True)


def apply_ccm(x: torch.Tensor, ccm: torch.Tensor) -> torch.Tensor:
    """Per-sample colour matrix (n, 3, 3) applied to (n, 3, H, W)."""
    return torch.einsum("nij,njhw->nihw", ccm.to(x), x)


def inverse_smoothstep(y: torch.Tensor) -> torch.Tensor:
    return 0.5 - torch.sin(torch.asin(1.0 - 2.0 * y.clamp(0, 1)) / 3.0)


def smoothstep(x: torch.Tensor) -> torch.Tensor:
    return 3.0 * x**2 - 2.0 * x**3


def safe_invert_gains(x: torch.Tensor, gains: torch.Tensor) -> torch.Tensor:
    """Divide by per-sample (n, 3) gains, fading to no change for bright pixels (Brooks et al.)."""
    inv = (1.0 / gains).to(x).view(-1, 3, 1, 1)
    gray = x.mean(1, keepdim=True)
    mask = ((gray - 0.9).clamp(min=0) / 0.1) ** 2
    return x * torch.maximum(mask + (1 - mask) * inv, inv)


def bayer_masks(h: int, w: int, like: torch.Tensor) -> torch.Tensor:
    """(1, 3, H, W) 0/1 masks of an RGGB mosaic: R at (even, even), B at (odd, odd), G elsewhere."""
    yy = torch.arange(h, device=like.device).view(-1, 1) % 2
    xx = torch.arange(w, device=like.device).view(1, -1) % 2
    r = (yy == 0) & (xx == 0)
    b = (yy == 1) & (xx == 1)
    return torch.stack([r, ~(r | b), b]).unsqueeze(0).to(like.dtype)


def mosaic(x: torch.Tensor) -> torch.Tensor:
    """(n, 3, H, W) -> (n, 1, H, W) RGGB Bayer mosaic."""
    return (x * bayer_masks(*x.shape[-2:], x)).sum(1, keepdim=True)


_K_RB = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 4
_K_G = torch.tensor([[0.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]]) / 4


def demosaic_bilinear(raw: torch.Tensor) -> torch.Tensor:
    """(n, 1, H, W) RGGB -> (n, 3, H, W): each plane's missing samples are the mean of its neighbours.

    Reflect-101 padding keeps the Bayer phase at the borders, so constant images come back exactly."""
    planes = raw * bayer_masks(*raw.shape[-2:], raw)
    padded = reflect_pad(planes, 1)
    k = torch.stack([_K_RB, _K_G, _K_RB]).unsqueeze(1).to(raw)
    return F.conv2d(padded, k, groups=3)


def demosaic_opencv(raw: torch.Tensor) -> torch.Tensor:
    """OpenCV's edge-aware demosaic (COLOR_BayerRG2RGB_EA) on 16-bit RAW, one sample at a time."""
    out = []
    for r in raw[:, 0].detach().cpu().double().clamp(0, 1).numpy():
        u16 = np.round(r * 65535).astype(np.uint16)
        # OpenCV names Bayer patterns from the second row; RGGB in our layout is its BayerBG
        rgb = cv2.cvtColor(u16, cv2.COLOR_BayerBG2RGB_EA).astype(np.float64) / 65535
        out.append(torch.from_numpy(rgb).permute(2, 0, 1))
    return torch.stack(out).to(raw)


DEMOSAIC = {"bilinear": demosaic_bilinear, "opencv_ea": demosaic_opencv}
