"""JPEG through the real codec (OpenCV's libjpeg), one sample at a time.

Mirrors what Real-ESRGAN's CPU path (``add_jpg_compression``) does: round the image to 8 bits,
encode at an integer quality, decode. Not differentiable; runs on the CPU (the result is moved
back to the input's device).
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import torch


def jpeg_roundtrip_u8(rgb_u8: np.ndarray, quality: int) -> np.ndarray:
    """Encode then decode one HWC RGB uint8 image at integer ``quality`` (1..100) with OpenCV."""
    bgr = np.ascontiguousarray(rgb_u8[..., ::-1])
    ok, buf = cv2.imencode(".jpg", bgr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise RuntimeError("OpenCV failed to encode a JPEG")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def codec_jpeg(img: torch.Tensor, quality: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """Real-codec JPEG of RGB float [0,1] NCHW images, sample i at integer quality ``quality[i]``.

    Input is clamped and rounded to 8 bits first; returns RGB float32 [0,1] NCHW on ``img``'s device.
    """
    if img.ndim != 4 or img.shape[1] != 3:
        raise ValueError(f"codec_jpeg expects RGB NCHW, got shape {tuple(img.shape)}")
    qs = [int(q) for q in torch.as_tensor(quality).reshape(-1).tolist()]
    if len(qs) == 1:
        qs = qs * img.shape[0]
    if len(qs) != img.shape[0]:
        raise ValueError(f"codec_jpeg got {len(qs)} qualities for {img.shape[0]} images")
    u8 = (img.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    out = np.stack([jpeg_roundtrip_u8(u8[i], qs[i]) for i in range(len(qs))])
    return torch.from_numpy(out).permute(0, 3, 1, 2).float().div(255).to(img.device)
