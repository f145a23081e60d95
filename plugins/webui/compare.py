"""The two-model comparison: one LR image upscaled by two models (each through the ``upscale`` task,
as in the Upscale view) and, when an HR image is given, PSNR/SSIM/ST-LPIPS of each result against it,
computed by the metrics the ``metrics`` registry provides (ST-LPIPS only where its weights are installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esrgan_core.errors import EsrganError, short_message
from esrgan_core.images import read_image, read_rgb01
from esrgan_plugins.webui import upscale as service
from esrgan_plugins.webui.uploads import Upload

METRICS = ("psnr", "ssim", "stlpips")
SIDES = ("A", "B")


def score(registries: Any, sr: Path, hr: Path) -> dict[str, Any]:
    """{metric: value} of ``sr`` against ``hr``; a metric that cannot run gives its one-line reason instead."""
    sr01, hr01 = read_rgb01(sr), read_rgb01(hr)
    if sr01.shape != hr01.shape:
        return {"error": f"the result is {sr01.shape[1]}x{sr01.shape[0]} but the HR image {hr01.shape[1]}x{hr01.shape[0]}"}
    out: dict[str, Any] = {}
    reg = registries["metrics"]
    for name in METRICS:
        if name not in reg:
            continue
        entry = reg.get(name)
        try:
            metric = entry.factory(entry.params() if entry.params else None)
            out[name] = float(metric(sr01, hr01))
        except EsrganError as exc:  # e.g. ST-LPIPS weights not installed
            out[name] = short_message(str(exc).splitlines()[0])
    return out


def compare(job: Any, entry: Any, registries: Any, models: dict[str, str], lr: Upload, hr: Upload | None,
            folder: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Upscale ``lr`` with model A then model B; results are ``out/A_<name>`` and ``out/B_<name>``."""
    placed = service.stage_inputs([lr], folder / "in")
    out = folder / "out"
    results: dict[str, Any] = {}
    job.progress = (0, len(SIDES))
    for i, side in enumerate(SIDES):
        side_dir = folder / side
        params = service.task_params(entry, models[side], folder / "in", side_dir, options)
        entry.factory(params, None)
        made = service.output_for(placed[0], service.finished_outputs(side_dir))
        if made is None:
            raise EsrganError(f"model {side} gave no result (see the messages)")
        out.mkdir(exist_ok=True)
        final = made.rename(out / f"{side}_{made.name}")
        image = read_image(final)
        results[side] = {"output": final.name, "width": image.pixels.shape[1], "height": image.pixels.shape[0],
                         "metrics": score(registries, final, hr.path) if hr is not None else {}}
        job.progress = (i + 1, len(SIDES))
    return results
