"""The upscaler: one network, its precision and device, applied to decoded images.

Images enter and leave as HWC float32 [0,1] numpy arrays in RGB, RGBA or one gray channel
(:class:`esrgan_core.images.Image` order). Gray is run as RGB and converted back with BT.601 luma
(0.299 R + 0.587 G + 0.114 B, as cv2 BGR2GRAY does in Real-ESRGAN). Alpha is either run through
the network as a 3-channel image (``alpha="model"``, Real-ESRGAN's default) or resized with
Lanczos (``alpha="resize"``); a constant alpha is simply filled.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Literal

import cv2
import numpy as np
import torch

from esrgan_core.devices import resolve_device
from esrgan_core.errors import ConfigError
from esrgan_core.images import Image, to_tensor01
from esrgan_core.speed import activation_bytes_per_pixel, cpu_has_native_bf16, memory_budget, prepare_network
from esrgan_core.upscaling.tiling import Tiler

log = logging.getLogger(__name__)

Precision = Literal["auto", "fp32", "fp16", "bf16"]
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
LUMA_BT601 = np.array([0.299, 0.587, 0.114], dtype=np.float32)
BLACK_OUT, BLACK_IN = 1.0 / 512, 1.0 / 64  # "all black": output max below, while input max above


def resolve_precision(precision: str, device: torch.device, supports_half: bool, supports_bfloat16: bool,
                      cpu_bf16: bool | None = None) -> torch.dtype:
    """The compute dtype. ``auto``: fp16 on CUDA when the model is marked safe (else bf16, else fp32);
    on the CPU bf16 when it executes bf16 natively (``cpu_bf16``, default
    :func:`~esrgan_core.speed.cpu_has_native_bf16`) and the model is marked safe for it, else fp32
    (emulated bf16 is slower than fp32)."""
    if precision == "auto":
        if device.type == "cpu":
            native = cpu_has_native_bf16() if cpu_bf16 is None else cpu_bf16
            return torch.bfloat16 if native and supports_bfloat16 else torch.float32
        if device.type != "cuda":
            return torch.float32
        if supports_half:
            return torch.float16
        return torch.bfloat16 if supports_bfloat16 and torch.cuda.is_bf16_supported() else torch.float32
    if precision not in DTYPES:
        raise ConfigError(f"unknown precision {precision!r}; use auto, fp32, fp16 or bf16", path="precision")
    if (precision == "fp16" and not supports_half) or (precision == "bf16" and not supports_bfloat16):
        raise ConfigError(f"this model is not marked safe for {precision}; use fp32 or auto", path="precision")
    return DTYPES[precision]


def to_luma(rgb: np.ndarray) -> np.ndarray:
    """HWC RGB float32 [0,1] -> HxWx1 BT.601 luma."""
    return (rgb @ LUMA_BT601)[..., None].astype(np.float32)


def resize01(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize HWC float32 [0,1]: Lanczos-4 when enlarging, area averaging when shrinking; clipped."""
    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    shrink = width < pixels.shape[1] and height < pixels.shape[0]
    out = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LANCZOS4)
    if out.ndim == 2:
        out = out[..., None]
    return np.clip(out, 0.0, 1.0)


class Upscaler:
    """Upscale images with ``network`` (a torch module, RGB float [0,1] NCHW in and out).

    ``network`` stays untouched on its device in fp32 (it is the fp32 fallback); a reduced-precision
    copy is made on ``device`` when needed.
    """

    def __init__(self, network: torch.nn.Module, scale: int, *, size_multiple: int = 1, supports_half: bool = True,
                 supports_bfloat16: bool = True, tile: int | Literal["auto"] = 0, tile_overlap: int = 24,
                 tile_batch: int = 1, precision: Precision = "auto", device: str = "auto",
                 alpha: Literal["model", "resize"] = "model", outscale: float | None = None,
                 channels_last: bool = False, compile: bool = False) -> None:
        self.scale = int(scale)
        self.device = resolve_device(device)
        self.dtype = resolve_precision(precision, self.device, supports_half, supports_bfloat16)
        self.alpha_mode = alpha
        self.outscale = outscale
        self.channels_last, self.compile = channels_last, compile
        self._fp32 = network.eval()
        self._net = self._prepare(self.dtype)
        self._fp32_dev = self._net if self.dtype == torch.float32 else None
        max_pixels = self._auto_max_pixels(size_multiple) if tile == "auto" else 0
        self._tiler_args = dict(tile=0 if tile == "auto" else tile, overlap=tile_overlap, batch=tile_batch,
                                size_multiple=size_multiple, max_pixels=max_pixels)
        self._tiler = Tiler(self._forward_with(self._net, self.dtype), self.scale, **self._tiler_args)

    @classmethod
    def from_loaded(cls, loaded: Any, **options: Any) -> Upscaler:
        """Build from a ``LoadedModel`` (``.network`` and ``.description`` from the model-file loader)."""
        d = loaded.description
        return cls(loaded.network, d.scale, size_multiple=d.size_multiple, supports_half=d.supports_half,
                   supports_bfloat16=d.supports_bfloat16, **options)

    @property
    def tiler(self) -> Tiler:
        """The tiler images run through (its ``tile_for(h, w)`` says the tile used for an H x W input)."""
        return self._tiler

    @property
    def compute_network(self) -> torch.nn.Module:
        """The network as it runs: on ``device`` in the compute dtype (RGB float NCHW in and out)."""
        return self._net

    def _prepare(self, dtype: torch.dtype) -> torch.nn.Module:
        on_device = next(self._fp32.parameters(), torch.empty(0)).device == self.device
        if dtype == torch.float32 and on_device and not (self.channels_last or self.compile):
            return self._fp32
        net = copy.deepcopy(self._fp32).to(self.device, dtype).eval()
        return prepare_network(net, channels_last=self.channels_last, compile=self.compile)

    def _auto_max_pixels(self, multiple: int) -> int:
        """``tile: auto``: how many input pixels fit the device's memory budget at once."""
        dev = next(self._fp32.parameters(), torch.empty(0)).device  # probed on the fp32 network, then scaled
        fp32_bytes = activation_bytes_per_pixel(self._fp32, dev, torch.float32, probe=-(-32 // multiple) * multiple)
        per_pixel = fp32_bytes * torch.finfo(self.dtype).bits / 32
        return max(1, int(memory_budget(self.device) / per_pixel))

    def _forward_with(self, net: torch.nn.Module, dtype: torch.dtype):
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format

        def forward(tiles: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():  # not inference_mode: the result is clamped in place later
                return net(tiles.to(self.device, dtype).contiguous(memory_format=fmt)).float().cpu()
        return forward

    def upscale_rgb(self, rgb01: np.ndarray, *, name: str = "image") -> np.ndarray:
        """HWC RGB float32 [0,1] -> HWC RGB float32 [0,1] at the network's scale.

        A non-finite or all-black result in reduced precision is redone in fp32 with a warning.
        """
        x = to_tensor01(rgb01)
        out = self._tiler(x)
        if self.dtype != torch.float32 and _bad_output(out, x):
            log.warning("%s: %s output in %s; redoing it in fp32", name, _why_bad(out), str(self.dtype).replace("torch.", ""))
            if self._fp32_dev is None:
                self._fp32_dev = self._prepare(torch.float32)
            out = Tiler(self._forward_with(self._fp32_dev, torch.float32), self.scale, **self._tiler_args)(x)
        return _to_hwc01(out)

    def upscale_image(self, image: Image) -> np.ndarray:
        """An :class:`Image` -> HWC float32 [0,1] pixels of the same mode, at ``outscale`` (or the native scale)."""
        h, w = image.pixels.shape[:2]
        rgb = self.upscale_rgb(image.rgb, name=image.path or "image")
        parts = [to_luma(rgb) if image.mode == "L" else rgb]
        if image.alpha is not None:
            parts.append(self._upscale_alpha(image.alpha, image.path))
        out = np.concatenate(parts, axis=2) if len(parts) > 1 else parts[0]
        if self.outscale is not None:
            out = resize01(out, int(w * self.outscale), int(h * self.outscale))
        return out

    def _upscale_alpha(self, alpha: np.ndarray, name: str) -> np.ndarray:
        """HxWx1 float32 [0,1] alpha -> (H*scale)x(W*scale)x1."""
        h, w = alpha.shape[:2]
        lo, hi = float(alpha.min()), float(alpha.max())
        if lo == hi:
            return np.full((h * self.scale, w * self.scale, 1), lo, dtype=np.float32)
        if self.alpha_mode == "resize":
            return resize01(alpha, w * self.scale, h * self.scale)
        return to_luma(self.upscale_rgb(np.repeat(alpha, 3, axis=2), name=f"{name} (alpha)"))


def _to_hwc01(out: torch.Tensor) -> np.ndarray:
    """1xCxHxW float32 -> HWC float32 [0,1] numpy, clamped in place (no copy for the tiler's HWC buffer)."""
    return np.ascontiguousarray(out[0].permute(1, 2, 0).clamp_(0.0, 1.0).numpy())


def _bad_output(out: torch.Tensor, x: torch.Tensor) -> bool:
    return not bool(torch.isfinite(out).all()) or (float(out.max()) < BLACK_OUT and float(x.max()) > BLACK_IN)


def _why_bad(out: torch.Tensor) -> str:
    return "non-finite (NaN/Inf)" if not bool(torch.isfinite(out).all()) else "all-black"
