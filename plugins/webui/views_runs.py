"""Runs view: the runs under the root, one run's detail, and files under the root (images, text)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from esrgan_core.images import IMAGE_EXTENSIONS
from esrgan_plugins.webui.paths import PathRefused, confine
from esrgan_plugins.webui.runs import find_runs, run_detail, run_summary

SERVED = (*IMAGE_EXTENSIONS, ".yml", ".yaml", ".json", ".jsonl", ".txt", ".log", ".mp4", ".webm", ".mkv", ".mov")


async def runs(request: Request, state: Any) -> dict[str, Any]:
    return {"runs": [run_summary(state.root, r) for r in find_runs(state.root)]}


async def run(request: Request, state: Any) -> dict[str, Any]:
    folder = confine(state.root, request.query_params.get("path", ""))
    if folder not in [r.resolve() for r in find_runs(state.root)]:
        raise PathRefused(f"{request.query_params.get('path')!r} is not a run folder under the root")
    return run_detail(state.root, folder)


async def root_file(request: Request, state: Any) -> Response:
    """A file under the root, by its relative name (refused outside the root or of another type)."""
    path = confine(state.root, request.query_params.get("path", ""))
    if not path.is_file() or path.suffix.lower() not in SERVED:
        raise PathRefused(f"{request.query_params.get('path')!r} is not a served file ({', '.join(SERVED)})")
    return FileResponse(path)


ROUTES = [
    ("GET", "/api/runs", runs),
    ("GET", "/api/run", run),
    ("GET", "/api/file", root_file),
]
