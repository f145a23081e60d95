"""``esrgan-run metrics SR_DIR HR_DIR``: score a folder of results against a folder of references.

    esrgan-run metrics results/x4 data/Set14/HR --metrics psnr,ssim,stlpips,fid --crop-border 4 --y --json

Protocol (printed with the table and stored in the JSON): images are paired by file stem (``a.png``
in SR_DIR with ``a.*`` in HR_DIR; every image needs its partner and both must have the same size),
read as RGB and rounded to 8-bit levels. PSNR/SSIM are BasicSR's (MATLAB SSIM) after removing
``--crop-border`` pixels, on RGB or, with ``--y``, on the BT.601 Y channel. Perceptual metrics
(stlpips, lpips) see the whole RGB image. FID is set-level: one number for the whole folder pair,
reported as n/a below its ``min_images``. The JSON has the mean of every metric and every image's values.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from esrgan_core.errors import ConfigError, DataError
from esrgan_core.images import list_images, read_rgb01
from esrgan_core.schema import from_dict

CROPPED = ("psnr", "ssim")


def pair_files(sr_dir: Path, hr_dir: Path) -> list[tuple[str, Path, Path]]:
    """``(stem, sr, hr)`` for every image, sorted; any unmatched or ambiguous name is a DataError."""
    def by_stem(folder: Path) -> dict[str, Path]:
        if not folder.is_dir():
            raise DataError(f"{folder}: not a folder")
        out: dict[str, Path] = {}
        for p in list_images(folder, recursive=False):
            if p.stem in out:
                raise DataError(f"{folder}: two images named {p.stem!r} ({out[p.stem].name}, {p.name})")
            out[p.stem] = p
        if not out:
            raise DataError(f"{folder}: no images")
        return out

    sr, hr = by_stem(sr_dir), by_stem(hr_dir)
    for a, b, folder in ((sr, hr, hr_dir), (hr, sr, sr_dir)):
        missing = sorted(set(a) - set(b))
        if missing:
            raise DataError(f"{folder}: no image for {', '.join(missing[:3])}"
                            f"{f' (+{len(missing) - 3} more)' if len(missing) > 3 else ''} (images are paired by file stem)")
    return [(s, sr[s], hr[s]) for s in sorted(sr)]


def build_metrics(names: list[str], registries: Any, crop_border: int, y: bool, device: str | None) -> list[Any]:
    """Metric objects from the registry, with the command's protocol options applied."""
    reg = registries["metrics"]
    out = []
    for name in names:
        entry = reg.get(name, path="--metrics")
        data: dict[str, Any] = {}
        fields = {f.name for f in attrs.fields(entry.params)} if entry.params else set()
        if name in CROPPED:
            data.update(crop_border=crop_border, test_y_channel=y)
        if device and "device" in fields:
            data["device"] = device
        out.append(entry.factory(from_dict(entry.params, data, path=f"--metrics {name}") if entry.params else None))
    return out


def score(pairs: list[tuple[str, Path, Path]], metrics: list[Any]) -> dict[str, Any]:
    """``{"mean": {...}, "per_image": {stem: {...}}}``; non-finite values become None."""
    per_image: dict[str, dict[str, float | None]] = {}
    image_m = [m for m in metrics if getattr(m, "per_image", True)]
    set_m = [m for m in metrics if not getattr(m, "per_image", True)]
    srs, hrs = [], []
    for stem, sr_path, hr_path in pairs:
        sr, hr = read_rgb01(sr_path), read_rgb01(hr_path)
        if sr.shape[:2] != hr.shape[:2]:
            raise DataError(f"{sr_path}: {sr.shape[1]}x{sr.shape[0]} pixels but {hr_path.name} is {hr.shape[1]}x{hr.shape[0]}")
        per_image[stem] = {m.name: _finite(m(sr, hr)) for m in image_m}
        if set_m:
            srs.append(sr)
            hrs.append(hr)
    mean: dict[str, float | None] = {}
    for m in image_m:
        vals = [v[m.name] for v in per_image.values()]
        mean[m.name] = None if any(v is None for v in vals) else float(np.mean(vals))
    for m in set_m:
        mean[m.name] = _finite(m.compute(srs, hrs))
    return {"mean": mean, "per_image": per_image}


def _finite(v: float) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def protocol_text(n: int, requested: list[str], metrics: list[Any], crop_border: int, y: bool) -> str:
    parts = [f"{n} pairs matched by file stem, RGB rounded to 8-bit levels"]
    if any(r in CROPPED for r in requested):
        parts.append(f"psnr/ssim (BasicSR, MATLAB SSIM) crop_border={crop_border} on {'Y (BT.601)' if y else 'RGB'}")
    for m in metrics:
        if not getattr(m, "per_image", True):
            parts.append(f"{m.name}: one value for the set ({getattr(m, 'weights_source', '')}), "
                         f"n/a below {getattr(m.params, 'min_images', 2)} images")
    return "; ".join(parts)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def print_table(result: dict[str, Any], names: list[str], per_image_names: list[str]) -> None:
    width = max([len("mean"), *(len(s) for s in result["per_image"])])
    print("image".ljust(width) + "".join(f"  {n:>10}" for n in names))
    for stem, vals in result["per_image"].items():
        print(stem.ljust(width) + "".join(f"  {_fmt(vals.get(n)) if n in per_image_names else '':>10}" for n in names))
    print("mean".ljust(width) + "".join(f"  {_fmt(result['mean'][n]):>10}" for n in names))
    print(f"protocol: {result['protocol']}")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("sr_dir", type=Path, help="folder of results (super-resolved images)")
    p.add_argument("hr_dir", type=Path, help="folder of references, same file stems")
    p.add_argument("--metrics", default="psnr,ssim,stlpips", help="comma-separated metric names (default psnr,ssim,stlpips)")
    p.add_argument("--crop-border", dest="crop_border", type=int, default=0, help="psnr/ssim border crop in pixels (default 0)")
    p.add_argument("--y", action="store_true", help="psnr/ssim on the BT.601 Y channel instead of RGB")
    p.add_argument("--device", help="device of network metrics: auto, cpu, cuda (default auto)")
    p.add_argument("--json", action="store_true", help="print JSON (means, per-image values, protocol) instead of a table")


def handler(args: argparse.Namespace) -> int:
    from esrgan_core.plugins import load_plugins

    if args.crop_border < 0:
        raise ConfigError("must be >= 0", path="--crop-border")
    names = [n.strip() for n in args.metrics.split(",") if n.strip()]
    if not names:
        raise ConfigError("give at least one metric", path="--metrics")
    pairs = pair_files(args.sr_dir, args.hr_dir)
    metrics = build_metrics(names, load_plugins().registries, args.crop_border, args.y, args.device)
    result = score(pairs, metrics)
    result = {"protocol": protocol_text(len(pairs), names, metrics, args.crop_border, args.y), "count": len(pairs), **result}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result, [m.name for m in metrics], [m.name for m in metrics if getattr(m, "per_image", True)])
    return 0
