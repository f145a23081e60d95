"""Degradation playground view: presets, live validation, degrading a photo or an upload, saving a recipe."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from esrgan_core.errors import ConfigError, EsrganError, short_message
from esrgan_core.images import read_rgb01
from esrgan_core.photos import PREFIX, load_ref
from esrgan_plugins.webui import lab, lab_realism
from esrgan_plugins.webui.app import read_json


def _numbers(body: dict[str, Any]) -> dict[str, int]:
    out = {}
    for key, default in (("scale", 4), ("n", 4), ("seed", 0), ("crop", 256)):
        value = body.get(key, default)
        try:
            out[key] = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"expected a whole number, got {value!r}", path=key) from None
    return out


async def preset(request: Request, state: Any) -> dict[str, Any]:
    return lab.preset_text(request.query_params.get("name", ""))


async def validate(request: Request, state: Any) -> dict[str, Any]:
    """``{"ok": true}`` or ``{"ok": false, "errors": [one line per problem]}`` (answered at once, not queued)."""
    body = await read_json(request)
    try:
        lab.validate(state.host, str(body.get("stages", "")), **_numbers(body))
    except EsrganError as exc:
        return {"ok": False, "errors": [short_message(line) for line in str(exc).splitlines()]}
    return {"ok": True, "errors": []}


def _source(state: Any, ref: str) -> Any:
    if ref.startswith("upload:"):
        return read_rgb01(state.uploads.get(ref[len("upload:"):]).path)
    if not ref.startswith(PREFIX):
        raise ConfigError(f"unknown source {ref!r}; pick a photo or upload an image", path="source")
    return load_ref(ref)


async def run(request: Request, state: Any) -> dict[str, Any]:
    body = await read_json(request)
    numbers = _numbers(body)
    cfg = lab.validate(state.host, str(body.get("stages", "")), **numbers)
    source = str(body.get("source", "skimage:astronaut"))
    return await state.jobs.run("degrade", lambda job: lab.degrade(cfg, state.host.registries, _source(state, source)))


async def save(request: Request, state: Any) -> dict[str, Any]:
    body = await read_json(request)
    path, verdict = lab.save_recipe(state.host, state.root, str(body.get("name", "")), str(body.get("stages", "")),
                                    overwrite=bool(body.get("overwrite", False)), **_numbers(body))
    return {"path": path.relative_to(state.root).as_posix(), "verdict": verdict}


async def measure(request: Request, state: Any) -> dict[str, Any]:
    """The realism report of the stage list against a real-LR folder under the root (queued)."""
    body = await read_json(request)
    numbers = _numbers(body)
    lab.validate(state.host, str(body.get("stages", "")), **numbers)
    setup = lab_realism.setup_of(body, numbers["seed"])
    folder = str(body.get("real", ""))
    lab_realism.real_folder(state.root, folder)  # a refused or missing folder answers before queueing
    return await state.jobs.run("measure", lambda job: lab_realism.measure(
        state.host, state.root, folder, str(body.get("stages", "")), numbers["scale"], setup,
        toggles=bool(body.get("toggles", True))))


ROUTES = [
    ("GET", "/api/lab/preset", preset),
    ("POST", "/api/lab/validate", validate),
    ("POST", "/api/lab/run", run),
    ("POST", "/api/lab/save", save),
    ("POST", "/api/lab/measure", measure),
]
