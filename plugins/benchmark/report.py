"""Benchmark reports: ``results.json``, ``results.md`` (table + protocol) and ``per_image.csv``.

``results.json`` layout::

    {"protocol": {...}, "methods": [{"label", "source", "info"}],
     "datasets": {NAME: {"images": [...], "source", "recipe", "seed", ...}},
     "results": {DATASET: {METHOD: {"mean": {METRIC: v}, "per_image": {IMAGE: {METRIC: v}}, "seconds": s}}}}

Non-finite values (PSNR of identical images) are written as ``null`` and shown as ``n/a``. The
markdown table prints each mean with :data:`DECIMALS` decimals; the best value of each metric
per dataset is bold.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Sequence

import attrs

from esrgan_core.atomic import atomic_write_text
from esrgan_core.schema import to_plain

DECIMALS = 4
BICUBIC_TEXT = "torch.nn.functional.interpolate(mode='bicubic', align_corners=False) (a = -0.75), clipped to [0, 1]"


def _metric_info(m: Any) -> dict[str, Any]:
    p = getattr(m, "params", None)
    params = to_plain(p) if p is not None and attrs.has(type(p)) else {}
    channel = "Y (BT.601, MATLAB rgb2ycbcr, unrounded)" if params.get("test_y_channel") else "RGB"
    return {"name": m.name, "type": type(m).__name__.lower(), "params": params, "channel": channel,
            "crop_border": int(params.get("crop_border", 0)), "higher_is_better": bool(m.higher_is_better),
            "per_image": bool(getattr(m, "per_image", True))}


def protocol(params: Any, metrics: Sequence[Any], sets: Sequence[Any]) -> dict[str, Any]:
    """What exactly was measured, as plain data (also rendered into ``results.md``)."""
    return {
        "scale": params.scale,
        "images": "SR output clipped to [0, 1]; SR and HR (HWC RGB) rounded to 8-bit levels round(x * 255) "
                  "before every metric; PSNR/SSIM on the [0, 255] range in float64",
        "bit_depth": 8,
        "metrics": [_metric_info(m) for m in metrics],
        "bicubic": BICUBIC_TEXT,
        "inference": {"device": params.device, "precision": params.precision, "tile": params.tile,
                      "tile_overlap": params.tile_overlap},
        "datasets": {ts.name: {"images": len(ts.pairs), **ts.info} for ts in sets},
    }


def _fmt(v: float | None, bold: bool = False) -> str:
    if v is None:
        return "n/a"
    text = f"{v:.{DECIMALS}f}"
    return f"**{text}**" if bold else text


def _best(values: list[float | None], higher: bool) -> float | None:
    finite = [v for v in values if v is not None]
    if not finite:
        return None
    return max(finite) if higher else min(finite)


def markdown(proto: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    """The results table (one row per method per dataset) followed by the protocol."""
    infos = proto["metrics"]
    arrows = ["↑" if i["higher_is_better"] else "↓" for i in infos]
    lines = ["# Benchmark results", "",
             "| dataset | method | " + " | ".join(f"{i['name']} {a}" for i, a in zip(infos, arrows)) + " | seconds |",
             "|---|---|" + "---:|" * (len(infos) + 1)]
    for dataset, by_method in results.items():
        best = {i["name"]: _best([r["mean"][i["name"]] for r in by_method.values()], i["higher_is_better"])
                for i in infos}
        for label, r in by_method.items():
            cells = [_fmt(r["mean"][i["name"]], r["mean"][i["name"]] == best[i["name"]] and len(by_method) > 1)
                     for i in infos]
            lines.append(f"| {dataset} | {label} | " + " | ".join(cells) + f" | {r['seconds']:.2f} |")
    return "\n".join(lines + ["", *protocol_lines(proto)]) + "\n"


def protocol_lines(proto: dict[str, Any]) -> list[str]:
    """The protocol as markdown bullet points."""
    out = ["## Protocol", "",
           f"- Scale x{proto['scale']}. {proto['images']}.",
           f"- Bicubic baseline: {proto['bicubic']}.",
           "- Inference: " + ", ".join(f"{k} {v}" for k, v in proto["inference"].items()) + "."]
    for i in proto["metrics"]:
        opts = ", ".join(f"{k}: {v}" for k, v in i["params"].items()) or "defaults"
        out.append(f"- `{i['name']}`: crop border {i['crop_border']}, channel {i['channel']}, 8-bit levels, "
                   f"{'higher' if i['higher_is_better'] else 'lower'} is better"
                   f"{'' if i['per_image'] else ', one value per image set'} ({opts}).")
    for name, d in proto["datasets"].items():
        text = f"- Dataset `{name}`: {d['images']} image(s), {d['source']}"
        if d.get("max_size"):
            text += f", HR centre-cropped to at most {d['max_size']} px"
        if "recipe" in d:
            text += (f"; LR made once by recipe `{d['recipe']}` with seed {d['seed']} (each image's generator "
                     "seeded from the seed and the SHA-256 of its HR pixels), 8-bit")
        out.append(text + ".")
    return out


def per_image_csv(metrics: Sequence[Any], results: dict[str, dict[str, Any]]) -> str:
    """``dataset,image,method,<per-image metric>...`` with full-precision values."""
    names = [m.name for m in metrics if getattr(m, "per_image", True)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["dataset", "image", "method", *names])
    for dataset, by_method in results.items():
        for label, r in by_method.items():
            for image, vals in r["per_image"].items():
                w.writerow([dataset, image, label, *("" if vals[n] is None else repr(vals[n]) for n in names)])
    return buf.getvalue()


def write_reports(out: Path, proto: dict[str, Any], methods: Sequence[Any], sets: Sequence[Any],
                  metrics: Sequence[Any], results: dict[str, dict[str, Any]]) -> None:
    """Write ``results.json``, ``results.md`` and ``per_image.csv`` into ``out`` (atomically)."""
    data = {
        "protocol": proto,
        "methods": [{"label": m.label, "source": m.source, "info": m.info} for m in methods],
        "datasets": {ts.name: {"images": [p.name for p in ts.pairs], **ts.info} for ts in sets},
        "results": results,
    }
    atomic_write_text(out / "results.json", json.dumps(data, indent=1, allow_nan=False) + "\n")
    atomic_write_text(out / "results.md", markdown(proto, results))
    atomic_write_text(out / "per_image.csv", per_image_csv(metrics, results))
