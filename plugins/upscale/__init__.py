"""Upscaling plugin: the ``upscale`` task (``task: upscale`` configs) and the ``upscale`` command.

Pieces: the core's :mod:`esrgan_core.upscaling` (tiling: tiles, blended seams, OOM retry; engine: precision,
gray/alpha handling, outscale; runtimes), :mod:`.params` (the options), :mod:`.models` (loading, weight
interpolation), :mod:`.batch` (files in, files out), :mod:`.command` (argparse front end generated from
the params), :mod:`.verify`, :mod:`.video` with :mod:`.video_io`,
:mod:`.video_encode` and :mod:`.video_parts` (videos: streaming, remux, resumable segments). See docs/upscale.md.
"""

from __future__ import annotations

from typing import Any

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy
from esrgan_plugins.upscale.params import UpscaleParams


@hookimpl
def register_tasks(register: Any) -> None:
    register("upscale", lazy("esrgan_plugins.upscale.batch:run_upscale_task"), params=UpscaleParams, help="upscale images and videos with a model (tiles, batch of files)")


@hookimpl
def register_commands(register: Any) -> None:
    register("upscale", lazy("esrgan_plugins.upscale.command:configure"), lazy("esrgan_plugins.upscale.command:handler"), help="upscale images and videos: -i INPUT -o OUTPUT -m MODEL [options]")
