"""``esrgan-run convert IN OUT``: convert model files between formats.

Input: any file ``load_model`` reads (``.pth``/``.pt``/``.safetensors``/ncnn ``.param``) or a
built-in name. Output by extension: ``.pth`` (Real-ESRGAN/BasicSR ``{'params': ...}``, loadable by
``RealESRGANer`` and spandrel) or ``.safetensors`` (with architecture metadata).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from esrgan_core.errors import ModelFileError

OUTPUT_SUFFIXES = (".pth", ".safetensors")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="model file (.pth, .pt, .safetensors, ncnn .param) or built-in model name")
    parser.add_argument("output", help="file to write: .pth (Real-ESRGAN format) or .safetensors")
    parser.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True,
                        help="convert the EMA weights (params_ema) when the input has them (default: yes)")


def convert(src: str | Path, dst: str | Path, *, prefer_ema: bool = True) -> str:
    """Convert ``src`` to ``dst`` (format by ``dst``'s extension); returns the architecture written."""
    from esrgan_core.modelfiles.loader import load_model
    from esrgan_core.modelfiles.writers import network_state_dict, save_pth, save_safetensors

    dst = Path(dst)
    suffix = dst.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ModelFileError(f"cannot write {suffix or 'files without extension'!r}; output must end in "
                             f"{' or '.join(OUTPUT_SUFFIXES)}", file=dst)
    loaded = load_model(src, prefer_ema=prefer_ema)
    weights = network_state_dict(loaded.network)
    if suffix == ".pth":
        save_pth(dst, weights)
    else:
        save_safetensors(dst, weights, loaded.description)
    return loaded.description.architecture


def handle(args: argparse.Namespace) -> int:
    arch = convert(args.input, args.output, prefer_ema=args.ema)
    print(f"{args.input} -> {args.output} ({arch})")
    return 0
