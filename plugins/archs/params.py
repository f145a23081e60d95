"""Typed options of the spandrel architectures we train (``network_g: {type: span, preset: s}``).

A field left at ``None`` takes its value from the chosen ``preset`` (see ``esrgan_plugins.archs.table``);
a field given in the config overrides the preset. ``scale`` is the network's upscaling factor and
must be one the architecture can do (``SCALES``). ``fp16_safe()`` says whether the network may train
in float16 (the rule spandrel uses for its ``supports_half`` flag; bfloat16 is always allowed).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import attrs

from esrgan_core.errors import ParamError
from esrgan_core.schema import param

_FROM_PRESET = "(default: from the preset)"


def opt(help: str) -> object:
    """A field whose ``None`` default means "take it from the preset"."""
    return param(None, help=f"{help} {_FROM_PRESET}")


def ckpt() -> object:
    return param(False, help="gradient checkpointing: recompute each block in the backward pass (saves memory, ~30% slower)")


class ArchParams:
    """Shared checks; subclasses set ``SCALES`` and ``FP16_SAFE``."""

    SCALES: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    FP16_SAFE: ClassVar[bool] = True

    def validate(self) -> None:
        scale = self.scale
        if scale not in self.SCALES:
            raise ParamError("scale", f"this architecture supports scale {', '.join(map(str, self.SCALES))}, got {scale}")

    def fp16_safe(self) -> bool:
        return self.FP16_SAFE


@attrs.frozen
class SPANParams(ArchParams):
    preset: Literal["base", "s"] = param("base", help="base (48 channels) or s (SPAN-S, 32 channels)")
    scale: int = param(4, help="upscaling factor")
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_out_ch: int = param(3, ge=1, help="output channels")
    feature_channels: int | None = opt("feature channels")
    norm: bool = param(True, help="subtract the DIV2K mean and scale by 255 inside the network")


@attrs.frozen
class PLKSRParams(ArchParams):
    preset: Literal["base", "tiny"] = param("base", help="base (PLKSR, 28 blocks) or tiny (PLKSR-tiny, 12 blocks)")
    scale: int = param(4, help="upscaling factor")
    dim: int | None = opt("feature channels")
    n_blocks: int | None = opt("blocks")
    kernel_size: int | None = opt("large-kernel size (odd)")
    split_ratio: float | None = opt("share of channels the large kernel sees")
    ccm_type: Literal["CCM", "ICCM", "DCCM"] | None = opt("channel-mixer type")
    lk_type: Literal["PLK", "SparsePLK", "RectSparsePLK"] | None = opt("large-kernel type")
    use_ea: bool | None = opt("element-wise attention")


@attrs.frozen
class RealPLKSRParams(ArchParams):
    preset: Literal["base", "s"] = param("base", help="base (28 blocks, kernel 17) or s (12 blocks, kernel 13, no EA)")
    scale: int = param(4, help="upscaling factor")
    dim: int | None = opt("feature channels")
    n_blocks: int | None = opt("blocks")
    kernel_size: int | None = opt("large-kernel size (odd)")
    split_ratio: float | None = opt("share of channels the large kernel sees")
    use_ea: bool | None = opt("element-wise attention")
    norm_groups: int | None = opt("group-norm groups (spandrel assumes 4 when loading)")
    dropout: float = param(0.0, ge=0, lt=1, help="dropout before the last conv (training only)")
    dysample: bool = param(False, help="DySample upsampler instead of pixel shuffle")
    layer_norm: bool | None = opt("layer norm in each block (needed for float16)")

    def fp16_safe(self) -> bool:
        return bool(self.layer_norm is not False)  # spandrel: without layer norm the activations overflow fp16


@attrs.frozen
class SAFMNParams(ArchParams):
    FP16_SAFE: ClassVar[bool] = False
    preset: Literal["base", "l"] = param("base", help="base (36 channels, 8 blocks) or l (128, 16)")
    scale: int = param(4, help="upscaling factor")
    dim: int | None = opt("feature channels")
    n_blocks: int | None = opt("blocks")
    ffn_scale: float | None = opt("feed-forward expansion")


@attrs.frozen
class OmniSRParams(ArchParams):
    preset: Literal["base"] = param("base", help="base (64 channels, 5 residual groups)")
    scale: int = param(4, help="upscaling factor")
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_out_ch: int = param(3, ge=1, help="output channels")
    num_feat: int | None = opt("feature channels")
    res_num: int | None = opt("residual groups")
    block_num: int | None = opt("blocks per group")
    window_size: int | None = opt("attention window")


@attrs.frozen
class RealCUGANParams(ArchParams):
    SCALES: ClassVar[tuple[int, ...]] = (2, 3, 4)
    preset: Literal["base"] = param("base", help="the Real-CUGAN U-Net cascade")
    scale: int = param(2, help="upscaling factor: 2, 3 or 4")
    pro: bool = param(False, help="'pro' variant (records a marker tensor)")


@attrs.frozen
class DATParams(ArchParams):
    SCALES: ClassVar[tuple[int, ...]] = (2, 3, 4)
    FP16_SAFE: ClassVar[bool] = False
    preset: Literal["base", "s", "2", "light"] = param("base", help="DAT, DAT-S, DAT-2 or DAT-light")
    scale: int = param(4, help="upscaling factor")
    embed_dim: int | None = opt("embedding channels")
    depth: tuple[int, ...] | None = opt("blocks per residual group")
    num_heads: tuple[int, ...] | None = opt("attention heads per group")
    split_size: tuple[int, int] | None = opt("rectangle window size (h, w)")
    expansion_factor: float | None = opt("feed-forward expansion")
    resi_connection: Literal["1conv", "3conv"] | None = opt("conv after each group")
    upsampler: Literal["pixelshuffle", "pixelshuffledirect"] | None = opt("upsampler")
    img_size: int = param(64, ge=1, help="training patch size (LR) the position tables assume")
    drop_path_rate: float = param(0.1, ge=0, lt=1, help="stochastic depth (training only)")
    checkpointing: bool = ckpt()


@attrs.frozen
class SwinIRParams(ArchParams):
    SCALES: ClassVar[tuple[int, ...]] = (2, 3, 4)
    FP16_SAFE: ClassVar[bool] = False
    preset: Literal["s", "m"] = param("m", help="s (lightweight, 60 channels) or m (classical/real-world, 180)")
    scale: int = param(4, help="upscaling factor")
    embed_dim: int | None = opt("embedding channels")
    depths: tuple[int, ...] | None = opt("blocks per residual group")
    num_heads: tuple[int, ...] | None = opt("attention heads per group")
    window_size: int | None = opt("attention window")
    mlp_ratio: float | None = opt("MLP expansion")
    upsampler: Literal["pixelshuffle", "pixelshuffledirect", "nearest+conv"] | None = opt("upsampler")
    img_size: int = param(64, ge=1, help="training patch size (LR)")
    drop_path_rate: float = param(0.1, ge=0, lt=1, help="stochastic depth (training only)")
    checkpointing: bool = ckpt()


@attrs.frozen
class HATParams(ArchParams):
    SCALES: ClassVar[tuple[int, ...]] = (2, 3, 4)
    FP16_SAFE: ClassVar[bool] = False
    preset: Literal["s", "m"] = param("s", help="s (HAT-S, 144 channels) or m (HAT, 180)")
    scale: int = param(4, help="upscaling factor")
    embed_dim: int | None = opt("embedding channels")
    depths: tuple[int, ...] | None = opt("blocks per residual group")
    num_heads: tuple[int, ...] | None = opt("attention heads per group")
    window_size: int | None = opt("attention window")
    compress_ratio: int | None = opt("channel-attention compression")
    squeeze_factor: int | None = opt("channel-attention squeeze")
    mlp_ratio: float | None = opt("MLP expansion")
    img_size: int = param(64, ge=1, help="training patch size (LR)")
    drop_path_rate: float = param(0.1, ge=0, lt=1, help="stochastic depth (training only)")
    checkpointing: bool = ckpt()
