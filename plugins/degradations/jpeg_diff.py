"""Batched JPEG simulation in torch, matching BasicSR's ``DiffJPEG`` (used by Real-ESRGAN).

``diff_jpeg(img, quality)`` takes RGB float [0,1] NCHW and a per-sample float quality (B,) and
returns the decoded RGB float [0,1] NCHW image. It follows the reference step by step:

- quality is continuous; factor = 50/q for q < 50, else (200 - 2q)/100; the quantisation table is
  ``std_table * factor`` with no rounding and no [1, 255] clamp (unlike libjpeg);
- zero padding at the bottom/right to a multiple of 16;
- RGB*255 -> YCbCr (JPEG/JFIF matrix, offsets 0/128/128), not rounded;
- 4:2:0 chroma by 2x2 average pooling, 8x8 blocks, ``-128``, DCT scaled by 0.25*a(u)*a(v);
- divide by the table, round (``torch.round``, half to even; or BasicSR's cubic ``diff_round`` when
  ``differentiable=True``), multiply back, inverse DCT, ``+128``;
- chroma upsampled by 2x2 repetition, YCbCr -> RGB, clamp to [0, 255], /255, crop the padding.

QUIRK kept on purpose: the reference stores both tables transposed, so the coefficient with vertical
frequency u and horizontal frequency v is divided by ``std[v][u]`` (see :data:`Y_TABLE_STD`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Annex K tables as printed in the JPEG standard (row = vertical frequency u, column = horizontal v).
Y_TABLE_STD = (
    (16, 11, 10, 16, 24, 40, 51, 61),
    (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56),
    (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77),
    (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101),
    (72, 92, 95, 98, 112, 100, 103, 99),
)
C_TABLE_TOP_LEFT = ((17, 18, 24, 47), (18, 21, 26, 66), (24, 26, 56, 99), (47, 66, 99, 99))

_RGB_TO_YCC = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
_YCC_TO_RGB = ((1.0, 0.0, 1.402), (1.0, -0.344136, -0.714136), (1.0, 1.772, 0.0))


def quant_tables(device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(Y, C) quantisation tables as used by the reference: float32 8x8, TRANSPOSED vs the standard."""
    y = torch.tensor(Y_TABLE_STD, dtype=torch.float32, device=device).t().contiguous()
    c = torch.full((8, 8), 99.0, dtype=torch.float32, device=device)
    c[:4, :4] = torch.tensor(C_TABLE_TOP_LEFT, dtype=torch.float32, device=device).t()
    return y, c


def quality_to_factor(quality: torch.Tensor) -> torch.Tensor:
    """Table scale per sample: 50/q below 50, (200-2q)/100 from 50 (continuous, not rounded)."""
    q = quality.float()
    return torch.where(q < 50, 5000.0 / q, 200.0 - q * 2) / 100.0


def _dct_basis(device: torch.device) -> torch.Tensor:
    """B[x, u] = cos((2x+1) u pi / 16), float32 8x8."""
    i = torch.arange(8, dtype=torch.float64)
    return torch.cos((2 * i[:, None] + 1) * i[None, :] * math.pi / 16).float().to(device)


def _dct_scale(device: torch.device) -> torch.Tensor:
    """S[u, v] = a(u) a(v) with a(0) = 1/sqrt(2), else 1 (float32 8x8)."""
    a = torch.tensor([1.0 / math.sqrt(2)] + [1.0] * 7, dtype=torch.float64)
    return torch.outer(a, a).float().to(device)


def diff_round(x: torch.Tensor) -> torch.Tensor:
    """BasicSR's differentiable rounding: round(x) + (x - round(x))**3."""
    r = torch.round(x)
    return r + (x - r) ** 3


def _tmm(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """For (N, 8, 8) ``x``: x[n].T @ m for every n, as one (N*8, 8) @ (8, 8) GEMM (one transpose copy)."""
    return (x.transpose(1, 2).reshape(-1, 8) @ m).view(-1, 8, 8)


def _code_plane(plane: torch.Tensor, table: torch.Tensor, differentiable: bool) -> torch.Tensor:
    """Forward DCT, quantise with ``table`` (B,8,8), dequantise, inverse DCT of one 0-255 plane (B,H,W).

    Each 8x8 product runs as one GEMM over all blocks of the batch (K = 8, the same sums in the same
    order as per-block products, so the result equals ``basis.T @ block @ basis`` block by block
    bitwise on the CPU BLAS measured; elsewhere at float rounding level).
    """
    b, h, w = plane.shape
    basis, scale = _dct_basis(plane.device), _dct_scale(plane.device)
    grad = plane.requires_grad and torch.is_grad_enabled()
    view = plane.view(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4)  # [b, I, J, x, y]
    if grad:
        blocks = view.reshape(-1, 8, 8) - 128
    else:
        blocks = torch.empty((b, h // 8, w // 8, 8, 8), dtype=plane.dtype, device=plane.device)
        blocks = torch.sub(view, 128, out=blocks).view(-1, 8, 8)
    # coef[u, v] = 0.25 a(u) a(v) sum_xy block[x, y] cos((2x+1)u pi/16) cos((2y+1)v pi/16)
    coef = (0.25 * scale) * _tmm(_tmm(blocks, basis), basis)  # (B^T X)^T^T B, i.e. B^T X B
    t = table.repeat_interleave(blocks.shape[0] // b, dim=0)
    coef = diff_round(coef / t) * t if differentiable else coef.div_(t).round_().mul_(t)
    # pixel[x, y] = 0.25 sum_uv a(u) a(v) coef[u, v] cos((2x+1)u pi/16) cos((2y+1)v pi/16)
    coef = coef * scale if grad else coef.mul_(scale)
    # B C B^T; the first factor as a contiguous copy, the second as a view: this is what makes BLAS
    # sum in the same order as per-block products (checked bitwise against them)
    pixels = _tmm(_tmm(coef, basis.t().contiguous()), basis.t())
    pixels = pixels.view(b, h // 8, w // 8, 8, 8).permute(0, 1, 3, 2, 4)
    if grad:
        return (0.25 * pixels + 128).reshape(b, h, w)
    out = torch.empty((b, h // 8, 8, w // 8, 8), dtype=plane.dtype, device=plane.device)
    return torch.add(pixels.mul_(0.25), 128, out=out).view(b, h, w)


def diff_jpeg(img: torch.Tensor, quality: torch.Tensor, *, differentiable: bool = False) -> torch.Tensor:
    """Simulated JPEG of RGB float [0,1] NCHW images at per-sample float ``quality`` (shape (B,)).

    Returns RGB float32 [0,1] NCHW of the input size. ``differentiable=True`` replaces the
    rounding of the quantised coefficients with ``diff_round`` (gradients flow to the image).
    """
    if img.ndim != 4 or img.shape[1] != 3:
        raise ValueError(f"diff_jpeg expects RGB NCHW, got shape {tuple(img.shape)}")
    b, _, h, w = img.shape
    quality = torch.as_tensor(quality, device=img.device).reshape(-1).expand(b)
    factor = quality_to_factor(quality)
    x = F.pad(img.float(), (0, (-w) % 16, 0, (-h) % 16), mode="constant", value=0.0)
    dev = x.device
    to_ycc = torch.tensor(_RGB_TO_YCC, dtype=torch.float32, device=dev)
    shift = torch.tensor([0.0, 128.0, 128.0], device=dev)
    ycc = torch.einsum("bchw,kc->bkhw", x * 255, to_ycc) + shift.view(1, 3, 1, 1)
    chroma = F.avg_pool2d(ycc[:, 1:], kernel_size=2, stride=2)
    y_tab, c_tab = quant_tables(dev)
    f = factor.view(b, 1, 1)
    hp, wp = ycc.shape[-2:]
    luma = _code_plane(ycc[:, 0], y_tab * f, differentiable)
    cbcr = _code_plane(chroma.reshape(b * 2, hp // 2, wp // 2), (c_tab * f).repeat_interleave(2, dim=0), differentiable)
    # chroma upsampled by 2x2 repetition (a broadcast view), minus its offset, next to luma
    up = cbcr.view(b, 2, hp // 2, 1, wp // 2, 1).expand(b, 2, hp // 2, 2, wp // 2, 2)
    if x.requires_grad and torch.is_grad_enabled():
        ycc = torch.cat([luma[:, None], (up - 128).reshape(b, 2, hp, wp)], 1)
    else:
        ycc = torch.empty_like(ycc)
        ycc[:, 0] = luma
        torch.sub(up, 128, out=ycc[:, 1:].view(b, 2, hp // 2, 2, wp // 2, 2))
    to_rgb = torch.tensor(_YCC_TO_RGB, dtype=torch.float32, device=dev)
    rgb = torch.einsum("bchw,kc->bkhw", ycc, to_rgb)[:, :, :h, :w]
    return rgb.clamp(0, 255) / 255
