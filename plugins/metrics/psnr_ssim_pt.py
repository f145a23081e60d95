"""Batched torch PSNR/SSIM for validation on the accelerator; equal to the numpy path.

Inputs are RGB float [0,1] NCHW tensors (``sr``, ``hr``). Like the numpy path (and unlike
BasicSR's ``calculate_psnr_pt``, which skips it and adds 1e-8 to the MSE), both are first rounded
to 8-bit levels (``quantize=True``), so results equal :func:`calculate_psnr` / :func:`calculate_ssim`
on the same images up to float64 summation order; identical images give ``inf`` PSNR.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from esrgan_plugins.metrics.psnr_ssim import ssim_map, ssim_window


def _prepare(img: torch.Tensor, crop_border: int, test_y_channel: bool, quantize: bool) -> torch.Tensor:
    """NCHW RGB [0,1] -> NCHW (C or 1) float64 on the [0, 255] scale, as the numpy ``prepare``."""
    x = img.detach().float().clamp(0, 1) * 255
    if quantize:
        x = torch.round(x)
    if crop_border:
        x = x[:, :, crop_border:-crop_border, crop_border:-crop_border]
    if test_y_channel and x.shape[1] == 3:
        xd = (x / 255).double()  # float32 [0,1], as BasicSR's to_y_channel
        y = xd[:, 2:3] * 24.966 + xd[:, 1:2] * 128.553 + xd[:, 0:1] * 65.481 + 16.0
        return ((y / 255).float() * 255).double()
    return x.double()


def psnr_pt(
    sr: torch.Tensor, hr: torch.Tensor, crop_border: int = 0, test_y_channel: bool = False, *, quantize: bool = True
) -> torch.Tensor:
    """PSNR (dB) per image of RGB float [0,1] NCHW batches -> float64 tensor (N,); inf where equal."""
    if sr.shape != hr.shape:
        raise ValueError(f"image shapes differ: sr {tuple(sr.shape)} vs hr {tuple(hr.shape)}")
    a, b = _prepare(sr, crop_border, test_y_channel, quantize), _prepare(hr, crop_border, test_y_channel, quantize)
    mse = torch.mean((a - b) ** 2, dim=(1, 2, 3))
    return 10.0 * torch.log10(255.0**2 / mse)  # mse == 0 -> inf


def ssim_pt(
    sr: torch.Tensor, hr: torch.Tensor, crop_border: int = 0, test_y_channel: bool = False, *, quantize: bool = True
) -> torch.Tensor:
    """MATLAB-compatible SSIM per image of RGB float [0,1] NCHW batches -> float64 tensor (N,)."""
    if sr.shape != hr.shape:
        raise ValueError(f"image shapes differ: sr {tuple(sr.shape)} vs hr {tuple(hr.shape)}")
    a, b = _prepare(sr, crop_border, test_y_channel, quantize), _prepare(hr, crop_border, test_y_channel, quantize)
    c = a.shape[1]
    window = torch.from_numpy(ssim_window()).to(a).view(1, 1, 11, 11).expand(c, 1, 11, 11)

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, window, groups=c)  # valid 11x11 window

    return ssim_map(a, b, blur).mean(dim=(1, 2, 3))
