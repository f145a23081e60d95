"""``esrgan-run upscale``: the command-line face of the ``upscale`` task (same params, same code)."""

from __future__ import annotations

import argparse
from typing import Any

from esrgan_core.schema import from_dict
from esrgan_plugins.upscale.batch import run_upscale
from esrgan_plugins.upscale.params import UpscaleParams


def configure(p: argparse.ArgumentParser) -> None:
    """Add the upscale options; every default lives in :class:`UpscaleParams`."""
    a = p.add_argument
    a("-i", "--input", required=True, help="image or video file, folder, or glob pattern (quote it)")
    a("-o", "--output", help="output folder, or an output file when the input is one file (default: results)")
    a("-m", "--model", help="built-in name or model file (default: realesrgan-x4plus)")
    a("--model2", help="second model to interpolate with --model")
    a("--alpha-interp", "--interpolate", dest="interpolate", type=float, metavar="W",
      help="weight of --model2: (1-W)*model + W*model2 (default 0.5)")
    a("-dn", "--denoise-strength", dest="denoise_strength", type=float,
      help="realesr-general-x4v3 denoise strength in [0,1] (uses realesr-general-wdn-x4v3 next to it)")
    a("-t", "--tile", type=tile, help="largest network input side in pixels; 0 = whole image (default), "
                                      "auto = whole image unless it exceeds the device memory budget")
    a("--tile-overlap", dest="tile_overlap", type=int, help="least overlap of neighbouring tiles in input pixels (default 24)")
    a("--tile-batch", dest="tile_batch", type=int, help="tiles per forward pass (default 1)")
    a("-s", "--outscale", type=float, help="final scale, e.g. 3.5 (default: the model's scale)")
    a("--precision", choices=["auto", "fp32", "fp16", "bf16"],
      help="default auto: fp16 on CUDA, bf16 on CPUs with native bf16, else fp32")
    a("--channels-last", dest="channels_last", action="store_true", default=None, help="channels_last memory format")
    a("--compile", action="store_true", default=None, help="torch.compile the network (slow first image)")
    a("--device", help="auto, cpu, cuda, cuda:N (default auto)")
    a("--suffix", help="output name suffix (default 'out'; '' for none)")
    a("--ext", help="output format: auto, png, jpg, webp, tif, bmp (default auto = same as input)")
    a("-r", "--recursive", action="store_true", default=None, help="search input folders recursively")
    a("--skip-existing", dest="skip_existing", action="store_true", default=None, help="skip outputs that exist")
    a("--alpha", choices=["model", "resize"], help="alpha channel through the model (default) or resized")
    a("--engine", choices=["torch", "onnxruntime", "ncnn"], help="runtime (default torch); onnxruntime: .onnx, ncnn: .param")
    a("--fps", type=float, help="videos: constant output frame rate (default: keep the input's timestamps)")
    a("--codec", help="videos: encoder, e.g. libx264, libx265, libvpx-vp9, ffv1 (default: the input's codec)")
    a("--crf", type=int, help="videos: constant-quality factor (default: the encoder's)")
    a("--preset", help="videos: encoder preset, e.g. medium, slow (VP9: good, best, realtime)")
    a("--frame-batch", dest="frame_batch", type=int, help="videos: frames per forward pass when untiled (default 4)")
    a("--segment-frames", dest="segment_frames", type=int, help="videos: frames per resumable segment (default 240)")
    a("--no-progress", dest="progress", action="store_false", default=None, help="no progress bar")


def tile(text: str) -> int | str:
    """``auto`` or an integer (argparse names this function in its error: "invalid tile value")."""
    return text if text == "auto" else int(text)


def handler(args: argparse.Namespace) -> int:
    """Validate the options as the ``upscale`` task's params and run."""
    fields = [f.name for f in UpscaleParams.__attrs_attrs__]
    data: dict[str, Any] = {k: getattr(args, k) for k in fields if getattr(args, k, None) is not None}
    return run_upscale(from_dict(UpscaleParams, data))
