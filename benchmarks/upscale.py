"""Upscale speed and memory: whole image vs tiles, against the bare network on the same pixels.

    python benchmarks/upscale.py results/upscale.json [--device cpu|cuda|auto] [--x4plus-size 256]
        [--anime-sizes 256 1024] [--tile 128] [--overlap 32] [--repeats 2]

Each case runs in its own subprocess so that its peak resident memory (``ru_maxrss``) is its own.
Per case: input megapixels per second of ``Upscaler.upscale_rgb``; the bare network's time on the
same pixels (whole image for untiled runs; the very same tiles, batched the same way, for tiled
runs) and the ratio; peak RSS, and the working memory above the image buffers
(peak RSS - RSS after loading the model and a warm-up - input and output float32 images);
on CUDA also ``torch.cuda.max_memory_allocated``. Input: a crop of skimage's astronaut photo
(tiled to the requested size by reflection). Targets: tiled time within 1.1x of the bare network
on its tiles; working memory of a 1024 px image within 1.2x of a 256 px one at the same tile size.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _photo(size: int):
    """HWC RGB float32 [0,1], ``size`` x ``size``, from the astronaut photo (reflected when larger)."""
    import numpy as np
    import skimage.data

    a = skimage.data.astronaut().astype(np.float32) / 255
    reps = -(-size // a.shape[0])
    if reps > 1:
        a = np.pad(a, ((0, a.shape[0] * (reps - 1)), (0, a.shape[1] * (reps - 1)), (0, 0)), mode="reflect")
    return np.ascontiguousarray(a[:size, :size])


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _bare_time(up: Any, x: Any, tile: int, overlap: int, batch: int, repeats: int) -> float:
    """Seconds for the bare network on the same pixels (the tiler's own tiles when tiled)."""
    import torch

    from esrgan_core.images import to_tensor01
    from esrgan_core.tiling import tile_grid

    t = to_tensor01(x)
    if tile:
        th, tw, ys, xs = tile_grid(*t.shape[-2:], tile, overlap)
        tiles = [t[..., y:y + th, x0:x0 + tw] for y in ys for x0 in xs]
        batches = [torch.cat(tiles[k:k + batch]) for k in range(0, len(tiles), batch)]
    else:
        batches = [t]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.inference_mode():
            for b in batches:
                up.compute_network(b.to(up.device, up.dtype)).float().cpu()
        if up.device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One measurement (runs inside the worker subprocess)."""
    import torch

    from esrgan_plugins.modelfiles.loader import load_model
    from esrgan_plugins.upscale.engine import Upscaler

    x = _photo(case["size"])
    tile, overlap, batch, repeats = case["tile"], case["overlap"], case["batch"], case["repeats"]
    up = Upscaler.from_loaded(load_model(case["model"]), device=case["device"], tile=tile, tile_overlap=overlap,
                              tile_batch=batch, precision=case["precision"])
    warm = _photo(min(case["size"], tile or 64))
    up.upscale_rgb(warm)
    if up.device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    rss_before = _rss_mb()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = up.upscale_rgb(x)
        if up.device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
        del out
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    images_mb = x.nbytes * (1 + up.scale**2) / 2**20
    bare = _bare_time(up, x, tile, overlap, batch, repeats)
    mp = case["size"] ** 2 / 1e6
    return {**case, "dtype": str(up.dtype).replace("torch.", ""), "seconds": best, "megapixels_per_s": mp / best,
            "bare_network_seconds": bare, "ratio_to_bare": best / bare, "peak_rss_mb": peak,
            "rss_before_mb": rss_before, "image_buffers_mb": images_mb,
            "working_peak_mb": peak - rss_before - images_mb,
            "cuda_max_allocated_mb": torch.cuda.max_memory_allocated() / 2**20 if up.device.type == "cuda" else None}


def _cases(args: argparse.Namespace, device: str) -> list[dict[str, Any]]:
    common = {"device": device, "overlap": args.overlap, "batch": args.batch, "repeats": args.repeats,
              "precision": args.precision}
    cases = [{**common, "model": "realesrgan-x4plus", "size": args.x4plus_size, "tile": t} for t in (0, args.tile)]
    for size in args.anime_sizes:
        cases += [{**common, "model": "realesr-animevideov3", "size": size, "tile": args.tile}]
    cases += [{**common, "model": "realesr-animevideov3", "size": args.anime_sizes[0], "tile": 0}]
    return cases


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("output", nargs="?", help="JSON results file")
    p.add_argument("--output", dest="output_opt", help="JSON results file (same as the positional form)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (both when CUDA is present)")
    p.add_argument("--x4plus-size", type=int, default=256)
    p.add_argument("--anime-sizes", type=int, nargs="+", default=[256, 1024])
    p.add_argument("--tile", type=int, default=128)
    p.add_argument("--overlap", type=int, default=32)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--precision", default="auto")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(run_case(json.loads(args.worker))))
        return 0
    args.output = args.output_opt or args.output
    if not args.output:
        p.error("the JSON output path is required")
    import torch

    devices = ["cpu", "cuda"] if args.device == "auto" and torch.cuda.is_available() else \
        ["cpu" if args.device == "auto" else args.device]
    results = []
    for device in devices:
        for case in _cases(args, device):
            proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(case)], capture_output=True, text=True)
            if proc.returncode != 0:
                results.append({**case, "error": proc.stderr.strip().splitlines()[-1:]})
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(row)
            print(f"{row['device']} {row['model']} {row['size']}px tile {row['tile']}: {row['megapixels_per_s']:.4f} MP/s, "
                  f"{row['ratio_to_bare']:.3f}x bare, peak RSS {row['peak_rss_mb']:.0f} MB, "
                  f"working {row['working_peak_mb']:.0f} MB", flush=True)
    report = {"benchmark": "upscale", "python": platform.python_version(), "torch": torch.__version__,
              "threads": torch.get_num_threads(), "machine": platform.machine(), "results": results}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
