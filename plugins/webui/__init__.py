"""Web app plugin: ``esrgan-run serve`` (a local page to upscale, tune degradations and browse runs).

Pieces: :mod:`.command` (argparse front end, uvicorn), :mod:`.app` (the Starlette app, error
handling), :mod:`.paths` (confinement to ``--root``), :mod:`.uploads` (size and pixel limits),
:mod:`.jobs` (one worker: requests queue), :mod:`.upscale` (the ``upscale`` task through the
registry), :mod:`.lab` (degradation playground), :mod:`.runs` (run folders), :mod:`.catalog`
(models and photos the page can pick), ``views_*`` (the routes) and ``static/`` (the page).
Needs the ``ui`` extra (starlette, uvicorn). See docs/ui.md.
"""

from __future__ import annotations

from typing import Any

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy


@hookimpl
def register_commands(register: Any) -> None:
    register("serve", lazy("esrgan_plugins.webui.command:configure"), lazy("esrgan_plugins.webui.command:handler"),
             help="local web app: upscale with a before/after slider, degradation playground, run browser")
