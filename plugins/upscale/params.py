"""Options of the ``upscale`` task and command (the same class validates both)."""

from __future__ import annotations

from typing import Literal

import attrs

from esrgan_core.errors import ParamError
from esrgan_core.schema import param


@attrs.frozen
class UpscaleParams:
    """Upscale an image or video, a folder or a glob with a model; see docs/upscale.md."""

    input: str = param(help="image or video file, folder, or glob pattern (e.g. 'photos/*.jpg')")
    output: str = param("results", help="output folder (or an output file name when input is one file)")
    model: str = param("realesrgan-x4plus", help="built-in model name or model file (.pth, .safetensors, ncnn .param, ...)")
    model2: str | None = param(None, help="second model whose weights are interpolated with model's")
    interpolate: float | None = param(None, ge=0, le=1, help="weight of model2: (1-w)*model + w*model2 (default 0.5 with model2)")
    denoise_strength: float | None = param(None, ge=0, le=1, help="realesr-general-x4v3 denoise strength (1 = strong, 0 = the wdn model)")
    tile: int | Literal["auto"] = param(0, ge=0, help="largest network input side in pixels (0 = whole image at once; "
                                                   "auto = whole image unless over the device memory budget)")
    tile_overlap: int = param(24, ge=0, help="minimum overlap between neighbouring tiles in input pixels (capped at half the tile; seams blended)")
    tile_batch: int = param(1, ge=1, help="tiles per forward pass")
    outscale: float | None = param(None, gt=0, help="final scale (e.g. 3.5); default: the model's native scale")
    precision: Literal["auto", "fp32", "fp16", "bf16"] = param("auto", help="compute precision; auto: fp16 on CUDA when safe, "
                                                                          "bf16 on CPUs with native bf16, else fp32")
    channels_last: bool = param(False, help="run the network in channels_last memory format")
    compile: bool = param(False, help="compile the network with torch.compile (slow first image)")
    device: str = param("auto", help="auto, cpu, cuda or cuda:N")
    suffix: str = param("out", help="output name is {stem}_{suffix}.{ext} ({stem}.{ext} when empty)")
    ext: str = param("auto", help="image output format: auto (same as input), png, jpg, webp, tif, bmp (videos keep their container)")
    recursive: bool = param(False, help="search folders recursively (the folder structure is kept)")
    skip_existing: bool = param(False, help="skip inputs whose output file already exists")
    alpha: Literal["model", "resize"] = param("model", help="alpha channel: through the model (as RGB) or Lanczos-resized")
    progress: bool = param(True, help="show a progress bar")
    engine: Literal["torch", "onnxruntime", "ncnn"] = param("torch", help="runtime: torch, or onnxruntime/ncnn for files from `esrgan-run export` (CPU)")
    fps: float | None = param(None, gt=0, help="videos: constant output frame rate (every frame kept, retimed); default: the input's timestamps")
    codec: str | None = param(None, help="videos: encoder (libx264, libx265, libvpx-vp9, ffv1, ...); default: the input's codec")
    crf: int | None = param(None, ge=0, le=63, help="videos: constant-quality factor of the encoder (default: the encoder's)")
    preset: str | None = param(None, help="videos: encoder preset (x264/x265: ultrafast..veryslow; VP9: good, best, realtime)")
    frame_batch: int = param(4, ge=1, help="videos: frames per forward pass (untiled only)")
    segment_frames: int = param(240, ge=1, help="videos: frames per resumable segment (each starts with a key frame)")

    def validate(self) -> None:
        if self.interpolate is not None and self.model2 is None:
            raise ParamError("interpolate", "needs model2 (the model to interpolate with)")
        if self.denoise_strength is not None and self.interpolate is not None:
            raise ParamError("denoise_strength", "give either denoise_strength or interpolate, not both")
        if self.engine != "torch" and (self.model2 is not None or self.denoise_strength is not None):
            raise ParamError("engine", "model2/denoise_strength mix torch weights; use engine torch")
        if self.engine != "torch" and (self.precision not in ("auto", "fp32") or self.device not in ("auto", "cpu")):
            raise ParamError("engine", f"{self.engine} runs on the CPU in the file's own precision; leave precision and device at auto")
        if self.engine != "torch" and (self.channels_last or self.compile):
            raise ParamError("engine", "channels_last and compile are torch options; use engine torch")
        ext = self.ext.lower().lstrip(".")
        if ext not in ("auto", "png", "jpg", "jpeg", "webp", "tif", "tiff", "bmp"):
            raise ParamError("ext", f"unknown output format {self.ext!r}")
        if "/" in self.suffix or "\\" in self.suffix:
            raise ParamError("suffix", "must not contain a path separator")
