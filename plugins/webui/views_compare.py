"""Compare view: two models on one uploaded image, with metrics against an optional HR upload."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from esrgan_plugins.webui import compare as service
from esrgan_plugins.webui import upscale
from esrgan_plugins.webui.app import read_json
from esrgan_plugins.webui.catalog import resolve_model


async def start(request: Request, state: Any) -> dict[str, Any]:
    """Queue the comparison; the job's result has, per side, the output name, its size and metrics."""
    body = await read_json(request)
    entry = upscale.task_entry(state.host.registries)
    models = {side: resolve_model(state.root, str(body.get(f"model_{side.lower()}") or "")) for side in service.SIDES}
    lr = state.uploads.get(str(body.get("lr") or ""))
    hr = state.uploads.get(str(body["hr"])) if body.get("hr") else None
    options = upscale.parse_options(entry.params, body.get("options") or {})
    upscale.task_params(entry, models["A"], state.work / "check-in", state.work / "check-out", options)

    def work(job: Any) -> dict[str, Any]:
        result = service.compare(job, entry, state.host.registries, models, lr, hr, state.job_folder(job.id), options)
        for side in result.values():
            side["url"] = f"/api/jobs/{job.id}/files/{side['output']}"
        return {"sides": result, "lr_url": f"/api/uploads/{lr.id}", "hr_url": f"/api/uploads/{hr.id}" if hr else None}

    job, _ = state.jobs.submit("compare", work)
    return job.to_json(state.jobs.position(job))


ROUTES = [("POST", "/api/compare", start)]
