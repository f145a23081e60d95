"""``esrgan-run export MODEL -o OUT --format onnx|ncnn|safetensors|pth [--fp16] [--opset N]``
and ``esrgan-run export RUN_FOLDER --omdb -o OUT`` (OpenModelDB release: see :mod:`.omdb`).

MODEL is anything the model-file loader takes (built-in name, our checkpoints, official ``.pth``,
spandrel-loadable files). OUT is a folder (created) or, for a single-file format, a file name with
the format's extension. File names: ``NAME-x{scale}.onnx`` (``-fp16`` added for fp16),
``NAME-x{scale}.param``/``.bin`` (the naming of realesrgan-ncnn-vulkan's models folder, e.g.
``realesr-animevideov3-x4``, and of Upscayl's custom models), ``NAME.safetensors``,
``NAME.pth``.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from esrgan_core.errors import ConfigError, ModelFileError

FORMATS = ("onnx", "ncnn", "safetensors", "pth")
SUFFIX = {"onnx": ".onnx", "ncnn": ".param", "safetensors": ".safetensors", "pth": ".pth"}


def configure(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("model", help="built-in model name, model file (.pth, .safetensors, ncnn .param, ...), or a run folder with --omdb")
    a("-o", "--output", required=True, help="output folder (or a file name with the format's extension)")
    a("-f", "--format", default="onnx", help="onnx (default), ncnn, safetensors or pth")
    a("--fp16", action="store_true", help="half-precision weights (ncnn always stores fp16 unless --fp32)")
    a("--fp32", action="store_true", help="ncnn only: store fp32 weights instead of the default fp16")
    a("--opset", type=int, help="ONNX opset (default 17)")
    a("--name", help="base name of the written files (default: the model's name or file stem)")
    a("--omdb", action="store_true", help="MODEL is a training run folder: write an OpenModelDB release "
                                           "(safetensors, pth, ONNX, JSON, LR/SR samples)")
    a("--author", help="--omdb: the author field (default: the user name)")
    a("--license", help="--omdb: SPDX licence id (default: null)")


def model_name(ref: str) -> str:
    """A file-name-safe base name: the built-in name, or the file's stem."""
    path = Path(ref)
    stem = path.stem if path.suffix else path.name
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "model"


def writable_folder(folder: Path) -> Path:
    """``folder`` (created); ConfigError naming it when it cannot be created or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create output folder {folder}: {exc.strerror or exc}", path="output") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"output folder {folder} is not writable", path="output")
    return folder


def target(output: str, fmt: str, name: str, scale: int, fp16: bool) -> Path:
    """The main file to write (``.param`` for ncnn; its ``.bin`` lies beside it)."""
    out = Path(output)
    if out.suffix.lower() == SUFFIX[fmt]:
        writable_folder(out.parent)
        return out
    folder = writable_folder(out)
    if fmt in ("onnx", "ncnn"):
        stem = name if name.lower().endswith(f"-x{scale}") else f"{name}-x{scale}"
        return folder / f"{stem}{'-fp16' if fp16 and fmt == 'onnx' else ''}{SUFFIX[fmt]}"
    return folder / f"{name}{SUFFIX[fmt]}"


def export_model(model: str, output: str, fmt: str, *, fp16: bool = False, fp32: bool = False, opset: int | None = None,
                 name: str | None = None) -> list[str]:
    """Export ``model``; returns the lines to print (files written, check results)."""
    from esrgan_core.modelfiles.loader import load_model
    from esrgan_plugins.export import formats

    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", path="format")
    if opset is not None and fmt != "onnx":
        raise ConfigError("--opset applies to --format onnx only", path="opset")
    if fp32 and fmt != "ncnn":
        raise ConfigError("--fp32 applies to --format ncnn only (fp32 is the default elsewhere)", path="fp32")
    out = Path(output)
    writable_folder(out.parent if out.suffix.lower() == SUFFIX[fmt] else out)  # before a long model load
    loaded = load_model(model)
    dest = target(output, fmt, name or model_name(model), loaded.description.scale, fp16)
    if fmt == "onnx":
        result = formats.export_onnx(loaded, dest, fp16=fp16, opset=opset or formats.DEFAULT_OPSET)
        return [f"wrote {dest}", result.line()]
    if fmt == "ncnn":
        result = formats.export_ncnn(loaded, dest, dest.with_suffix(".bin"), fp16=not fp32)
        return [f"wrote {dest} and {dest.with_suffix('.bin').name} (blobs data -> output)", result.line()]
    formats.export_weights(loaded, dest, fp16=fp16)
    return [f"wrote {dest} ({loaded.description.architecture} x{loaded.description.scale})"]


def handler(args: argparse.Namespace) -> int:
    if args.omdb:
        from esrgan_plugins.export.omdb import export_release

        lines = export_release(Path(args.model), Path(args.output), author=args.author, licence=args.license,
                               name=args.name, opset=args.opset)
    else:
        if Path(args.model).is_dir():
            raise ModelFileError("is a folder; give a model file, or add --omdb to export a training run", file=args.model)
        lines = export_model(args.model, args.output, args.format.lower(), fp16=args.fp16, fp32=args.fp32,
                             opset=args.opset, name=args.name)
    for line in lines:
        print(line)
    return 0
