"""Upscale view: uploads, the models and options, upscale jobs, their files and a zip of them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from esrgan_core.degradation.presets import preset_names
from esrgan_core.errors import ConfigError
from esrgan_plugins.webui import upscale as service
from esrgan_plugins.webui.app import read_json
from esrgan_plugins.webui.catalog import list_models, photo_names, resolve_model
from esrgan_plugins.webui.paths import PathRefused, confine
from esrgan_plugins.webui.uploads import Upload

MAX_FILES_PER_JOB = 100


async def info(request: Request, state: Any) -> dict[str, Any]:
    """What the page builds its forms from."""
    entry = service.task_entry(state.host.registries)
    return {"root": str(state.root), "models": list_models(state.root), "options": service.option_fields(entry.params),
            "limits": {"max_upload_bytes": state.limits.max_upload_bytes, "max_pixels": state.limits.max_pixels},
            "photos": photo_names(), "presets": preset_names()}


async def upload(request: Request, state: Any) -> dict[str, Any]:
    """The raw request body is one file; its name comes in the ``name`` query parameter."""
    name = request.query_params.get("name", "")
    declared = request.headers.get("content-length")
    up = await state.uploads.save(name, request.stream(), int(declared) if declared and declared.isdigit() else None)
    return _upload_json(up)


def _upload_json(up: Upload) -> dict[str, Any]:
    return {"id": up.id, "name": up.name, "kind": up.kind, "width": up.width, "height": up.height,
            "url": f"/api/uploads/{up.id}"}


async def upload_file(request: Request, state: Any) -> Response:
    up = state.uploads.get(request.path_params["uid"])
    return FileResponse(up.path)


async def start_upscale(request: Request, state: Any) -> dict[str, Any]:
    """Queue an upscale job of the given uploads; returns the job (poll ``/api/jobs/ID``)."""
    body = await read_json(request)
    ids = body.get("uploads") or []
    if not isinstance(ids, list) or not ids or len(ids) > MAX_FILES_PER_JOB:
        raise ConfigError(f"give 1 to {MAX_FILES_PER_JOB} uploaded files", path="uploads")
    uploads = [state.uploads.get(i) for i in ids]
    entry = service.task_entry(state.host.registries)
    options = service.parse_options(entry.params, body.get("options") or {})
    model = resolve_model(state.root, body.get("model") or "")

    def work(job: Any) -> dict[str, Any]:
        folder = state.job_folder(job.id)
        placed = service.stage_inputs(uploads, folder / "in")
        params = service.task_params(entry, model, folder / "in", folder / "out", options)
        result = service.run_job(job, entry, params, placed, folder / "out")
        by_name = {p.name: u for p, u in zip(placed, uploads)}
        for f in result["files"]:
            f["input_url"] = f"/api/uploads/{by_name[f['input']].id}"
            f["kind"] = by_name[f["input"]].kind
            f["url"] = f"/api/jobs/{job.id}/files/{f['output']}" if f["output"] else None
        return result

    # Validate the options before queueing, so a bad option answers at once (same check as the task's).
    service.task_params(entry, model, state.work / "check-in", state.work / "check-out", options)
    job, _ = state.jobs.submit("upscale", work)
    job.progress = (0, len(uploads))
    return job_json(state, job)


def job_json(state: Any, job: Any) -> dict[str, Any]:
    """The job as the page polls it; a running upscale counts its finished output files."""
    if job.kind == "upscale" and job.state == "running":
        done = len(service.finished_outputs(state.job_folder(job.id) / "out"))
        job.progress = (min(done, job.progress[1]), job.progress[1])
    return job.to_json(state.jobs.position(job))


async def job_status(request: Request, state: Any) -> dict[str, Any]:
    job = state.jobs.get(request.path_params["jid"])
    if job is None:
        raise PathRefused(f"unknown job {request.path_params['jid']!r}")
    return job_json(state, job)


def _out_folder(state: Any, jid: str) -> Any:
    if state.jobs.get(jid) is None:
        raise PathRefused(f"unknown job {jid!r}")
    return state.job_folder(jid) / "out"


async def job_file(request: Request, state: Any) -> Response:
    out = _out_folder(state, request.path_params["jid"])
    path = confine(out, request.path_params["name"])
    return FileResponse(path, filename=path.name, content_disposition_type="attachment")


async def job_zip(request: Request, state: Any) -> Response:
    jid = request.path_params["jid"]
    files = service.finished_outputs(_out_folder(state, jid))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for f in files:
            zf.write(f, f.name)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="upscaled-{jid}.zip"'})


ROUTES = [
    ("GET", "/api/info", info),
    ("POST", "/api/upload", upload),
    ("GET", "/api/uploads/{uid}", upload_file),
    ("POST", "/api/upscale", start_upscale),
    ("GET", "/api/jobs/{jid}", job_status),
    ("GET", "/api/jobs/{jid}/files/{name}", job_file),
    ("GET", "/api/jobs/{jid}/zip", job_zip),
]
