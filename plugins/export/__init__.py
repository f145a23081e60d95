"""Export plugin: the ``export`` command (ONNX, ncnn, safetensors, .pth; OpenModelDB releases).

Pieces: :mod:`.formats` (writers, each checked before it counts), :mod:`.ncnn_writer` (ncnn graphs of
RRDBNet/SRVGGNetCompact), :mod:`.check` (runtime vs PyTorch on a real photo), :mod:`.omdb` (a run
folder -> release files + OpenModelDB JSON), :mod:`.command` (argparse front end). The runtimes that
run exported files live in :mod:`esrgan_core.upscaling.runtimes` (``upscale --engine``).
See docs/export.md.
"""

from __future__ import annotations

from typing import Any

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy


@hookimpl
def register_commands(register: Any) -> None:
    register("export", lazy("esrgan_plugins.export.command:configure"), lazy("esrgan_plugins.export.command:handler"),
             help="export a model: -o OUT --format onnx|ncnn|safetensors|pth [--fp16]; RUN_FOLDER --omdb for OpenModelDB")
