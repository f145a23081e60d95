"""Upscale speed, seams, precision and memory: whole image vs tiles, fp32 vs bf16/fp16, channels_last, compile.

    python benchmarks/upscale.py OUT.json [--device cpu|cuda|auto] [--size 256] [--tile 128]
        [--overlaps 16 24 32] [--anime-sizes 256 1024] [--repeats 2] [--variants all|basic]
        [--reference auto|on|off] [--quick] [--max-load 0.10] [--wait-quiet SECONDS]

Each case runs in its own subprocess (its peak resident memory, ``ru_maxrss``, is its own). On
``realesrgan-x4plus`` at ``--size`` (a crop of skimage's astronaut photo) the cases are: fp32 whole
image; fp32 ``--tile`` at each of ``--overlaps``; bf16 (CPU) or fp16 and bf16 (CUDA) whole and tiled;
with ``--variants all`` also channels_last and ``--compile`` in fp32 and the reduced precision, and
``--tile auto``. Every x4plus output is compared with the fp32 whole-image one: PSNR (dB, [0,1]
values) and max |difference|, and every time is divided by the fp32 whole-image time. Targets:
tiled time <= 1.15x untiled with seams >= 45 dB; bf16 on a CPU with native bf16 faster than fp32.
``realesr-animevideov3`` at ``--anime-sizes`` (tiled, and whole at the first size) shows memory:
peak RSS and the working memory above the image buffers (peak RSS - RSS after loading and a warm-up
- input and output float32 images); on CUDA also ``torch.cuda.max_memory_allocated``.

The reference (``--reference auto``, the default: when ``pip install 'esrgan[bench]'`` put
Real-ESRGAN 0.3.0 there): ``RealESRGANer`` on BasicSR's RRDBNet with our built-in x4plus weights,
untiled (pre_pad 10) and ``--tile`` with tile_pad 10, on the same 8-bit photo; its output is
compared with our fp32 whole-image output (PSNR, max |difference|) and every row gets
``vs_reference`` (our time / the reference's untiled time). Without the package the JSON says
``reference: not installed``. ``--quick``: 64 px, tile 32, one repeat, basic variants (checks
that it runs; not a measurement).

Every repeat is guarded by ``benchmarks/_load.py``: a repeat taken while other processes used more
than ``--max-load`` of the CPU is refused, and a case without an accepted repeat reports no time
(exit status 3, JSON written with the loads; 1 when a case failed).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._load import EXIT_BUSY, LoadGuard, add_load_options, best_or_none, load_summary  # noqa: E402

X4PLUS, ANIME = "realesrgan-x4plus", "realesr-animevideov3"


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


def _bare_time(up: Any, x: Any, case: dict[str, Any], guard: LoadGuard, sync: Any) -> float | None:
    """Seconds for the bare network on the same pixels (the tiler's own tiles when tiled)."""
    import torch

    from esrgan_core.images import to_tensor01
    from esrgan_core.upscaling.tiling import tile_grid

    t = to_tensor01(x)
    tile = up.tiler.tile_for(*t.shape[-2:])
    if tile:
        th, tw, ys, xs = tile_grid(*t.shape[-2:], tile, case["overlap"], up.tiler.multiple)
        tiles = [t[..., y:y + th, x0:x0 + tw] for y in ys for x0 in xs]
        batches = [torch.cat(tiles[k:k + case["batch"]]) for k in range(0, len(tiles), case["batch"])]
    else:
        batches = [t]

    def run() -> None:
        with torch.inference_mode():
            for b in batches:
                up.compute_network(b.to(up.device, up.dtype)).float().cpu()

    for _ in range(case["repeats"]):
        guard.timed(run, sync)
    return best_or_none(guard)


def run_reference_case(case: dict[str, Any]) -> dict[str, Any]:
    """One measurement of the reference RealESRGANer (runs inside the worker subprocess)."""
    import numpy as np

    from benchmarks import _reference

    x = _photo(case["size"])
    ref = _reference.realesrganer(case["tile"], case["overlap"], 10, case["device"])
    _reference.enhance_rgb(ref, _photo(min(case["size"], 64)))  # warm-up
    rss_before = _rss_mb()
    guard = LoadGuard(case["max_load"], case["wait_quiet"])
    out = None
    for _ in range(case["repeats"]):
        out = guard.timed(lambda: _reference.enhance_rgb(ref, x), _sync(ref.device))
    np.save(case["save"], out)
    best = best_or_none(guard)
    return {**case, "dtype": "float32", "seconds": best, "load": load_summary(guard.repeats, guard.limit),
            "megapixels_per_s": case["size"] ** 2 / 1e6 / best if best else None, "tile_used": case["tile"] or None,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mb": rss_before,
            "status": _reference.status()}


def _sync(device: Any) -> Any:
    import torch

    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One measurement (runs inside the worker subprocess)."""
    import numpy as np
    import torch

    if case.get("reference"):
        return run_reference_case(case)

    from esrgan_core.modelfiles.loader import load_model
    from esrgan_core.upscaling.engine import Upscaler

    x = _photo(case["size"])
    up = Upscaler.from_loaded(load_model(case["model"]), device=case["device"], tile=case["tile"],
                              tile_overlap=case["overlap"], tile_batch=case["batch"], precision=case["precision"],
                              channels_last=case.get("channels_last", False), compile=case.get("compile", False))
    cuda = up.device.type == "cuda"
    sync = _sync(up.device)
    up.upscale_rgb(x if case.get("compile") else _photo(min(case["size"], 64)))  # warm-up (compiles at full size)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    rss_before = _rss_mb()
    guard = LoadGuard(case["max_load"], case["wait_quiet"])
    out = None
    for _ in range(case["repeats"]):
        out = guard.timed(lambda: up.upscale_rgb(x), sync)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if case.get("save"):
        np.save(case["save"], out)
    best = best_or_none(guard)
    images_mb = x.nbytes * (1 + up.scale**2) / 2**20
    row = {**case, "dtype": str(up.dtype).replace("torch.", ""), "seconds": best,
           "megapixels_per_s": case["size"] ** 2 / 1e6 / best if best else None, "load": load_summary(guard.repeats, guard.limit),
           "tile_used": up.tiler.tile_for(case["size"], case["size"]), "peak_rss_mb": peak, "rss_before_mb": rss_before,
           "image_buffers_mb": images_mb, "working_peak_mb": peak - rss_before - images_mb,
           "cuda_max_allocated_mb": torch.cuda.max_memory_allocated() / 2**20 if cuda else None}
    if case.get("bare"):
        bare_guard = LoadGuard(case["max_load"], case["wait_quiet"])
        bare = _bare_time(up, x, case, bare_guard, sync)
        row.update(bare_network_seconds=bare, ratio_to_bare=best / bare if best and bare else None,
                   bare_load=load_summary(bare_guard.repeats, bare_guard.limit))
    return row


def _cases(args: argparse.Namespace, device: str, tmp: Path) -> list[dict[str, Any]]:
    common = {"device": device, "batch": args.batch, "repeats": args.repeats, "max_load": args.max_load,
              "wait_quiet": args.wait_quiet, "overlap": args.overlaps[-1]}
    low = ["fp16", "bf16"] if device.startswith("cuda") else ["bf16"]
    x4 = {**common, "model": X4PLUS, "size": args.size}
    cases = [{**x4, "name": "fp32", "precision": "fp32", "tile": 0, "bare": True}]
    cases += [{**x4, "name": f"fp32 tile {args.tile}/{o}", "precision": "fp32", "tile": args.tile, "overlap": o,
               "bare": True} for o in args.overlaps]
    mid = args.overlaps[len(args.overlaps) // 2]  # 24 of the default 16 24 32
    for p in low:
        cases += [{**x4, "name": p, "precision": p, "tile": 0},
                  {**x4, "name": f"{p} tile {args.tile}/{mid}", "precision": p, "tile": args.tile, "overlap": mid}]
    if args.variants == "all":
        for p in ["fp32", *low]:
            cases += [{**x4, "name": f"{p} channels_last", "precision": p, "tile": 0, "channels_last": True},
                      {**x4, "name": f"{p} compile", "precision": p, "tile": 0, "compile": True}]
        cases += [{**x4, "name": "auto", "precision": "auto", "tile": "auto"}]
    if args.reference_on:
        cases += [{**x4, "name": "reference RealESRGANer (pre_pad 10)", "precision": "fp32", "tile": 0, "overlap": 10,
                   "reference": True},
                  {**x4, "name": f"reference RealESRGANer tile {args.tile}/10", "precision": "fp32", "tile": args.tile,
                   "overlap": 10, "reference": True}]
    for i, c in enumerate(cases):
        c["save"] = str(tmp / f"{device}-{i}.npy")
    for size in args.anime_sizes:
        cases += [{**common, "model": ANIME, "name": f"fp32 tile {args.tile}", "size": size, "tile": args.tile,
                   "precision": "fp32", "bare": True}]
    cases += [{**common, "model": ANIME, "name": "fp32", "size": args.anime_sizes[0], "tile": 0, "precision": "fp32",
               "bare": True}]
    return cases


def compare(rows: list[dict[str, Any]]) -> None:
    """Add ``vs_untiled_fp32`` (time ratio), ``psnr_db`` and ``max_abs_diff`` to every saved x4plus row."""
    import numpy as np

    ref = next((r for r in rows if r.get("name") == "fp32" and r.get("save") and "error" not in r), None)
    if ref is None:
        return
    base = np.load(ref["save"])
    for r in rows:
        if not r.get("save") or "error" in r:
            continue
        out = np.load(r["save"])
        mse = float(np.mean((out - base) ** 2))
        r["psnr_db"] = 10 * np.log10(1 / mse) if mse > 0 else float("inf")
        r["max_abs_diff"] = float(np.abs(out - base).max())
        r["vs_untiled_fp32"] = r["seconds"] / ref["seconds"] if r["seconds"] and ref["seconds"] else None
    ok = [r for r in rows if r.get("seconds") and "error" not in r and r["model"] == X4PLUS]
    for key, tiled in (("vs_reference", False), ("vs_reference_tiled", True)):  # < 1: we are faster
        theirs = next((r for r in ok if r.get("reference") and bool(r["tile"]) == tiled), None)
        for r in ok if theirs else []:
            if not tiled or r["tile"] == theirs["tile"]:
                r[key] = r["seconds"] / theirs["seconds"]


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _line(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{r['device']} {r['model']} {r['size']}px {r['name']}: FAILED {r['error']}"
    return (f"{r['device']} {r['model']} {r['size']}px {r['name']} (tile {r['tile_used']}): {_fmt(r['seconds'], '.2f')} s"
            f", x{_fmt(r.get('vs_untiled_fp32'), '.3f')} of fp32 whole, {_fmt(r.get('psnr_db'), '.1f')} dB, "
            f"bare x{_fmt(r.get('ratio_to_bare'), '.3f')}, x{_fmt(r.get('vs_reference'), '.3f')} of reference, peak RSS {r['peak_rss_mb']:.0f} MB"
            + (f"  [{r['load']['refused_reason']}]" if r["load"].get("refused_reason") else ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("output", nargs="?", help="JSON results file")
    p.add_argument("--output", dest="output_opt", help="JSON results file (same as the positional form)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (both when CUDA is present)")
    p.add_argument("--size", "--x4plus-size", dest="size", type=int, default=256)
    p.add_argument("--anime-sizes", type=int, nargs="+", default=[256, 1024])
    p.add_argument("--tile", type=int, default=128)
    p.add_argument("--overlaps", "--overlap", dest="overlaps", type=int, nargs="+", default=[16, 24, 32])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--variants", choices=["all", "basic"], default="all")
    p.add_argument("--reference", choices=["auto", "on", "off"], default="auto",
                   help="the Real-ESRGAN RealESRGANer cases (auto: when esrgan[bench] is installed)")
    p.add_argument("--quick", action="store_true", help="64 px, tile 32, 1 repeat, basic variants: checks it runs")
    add_load_options(p)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(run_case(json.loads(args.worker))))
        return 0
    args.output = args.output_opt or args.output
    if not args.output:
        p.error("the JSON output path is required")
    if args.quick:
        args.size, args.anime_sizes, args.tile, args.overlaps, args.repeats, args.variants = 64, [64], 32, [8], 1, "basic"
    import torch

    from benchmarks import _reference

    ref_status = _reference.status() if args.reference != "off" else "skipped (--reference off)"
    args.reference_on = ref_status.startswith("installed")
    if args.reference == "on" and not args.reference_on:
        p.error(f"--reference on: the reference is {ref_status}")

    devices = ["cpu", "cuda"] if args.device == "auto" and torch.cuda.is_available() else \
        ["cpu" if args.device == "auto" else args.device]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for device in devices:
            rows = []
            for case in _cases(args, device, Path(tmp)):
                proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(case)], capture_output=True, text=True)
                row = ({**case, "error": proc.stderr.strip().splitlines()[-1:]} if proc.returncode
                       else json.loads(proc.stdout.strip().splitlines()[-1]))
                rows.append(row)
                print(_line(row), flush=True)
            compare(rows)
            results += rows
    from esrgan_core.speed import cpu_has_native_bf16

    report = {"benchmark": "upscale", "python": platform.python_version(), "torch": torch.__version__,
              "threads": torch.get_num_threads(), "machine": platform.machine(), "cpu_native_bf16": cpu_has_native_bf16(),
              "date": time.strftime("%Y-%m-%d"), "quick": args.quick, "reference": ref_status, "results": results}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print("\n".join(_line(r) for r in results if r.get("psnr_db") is not None))
    refused = [r for r in results if "error" not in r and r["seconds"] is None]
    if refused:
        print(f"{len(refused)} case(s) have no time: every repeat was taken on a busy machine "
              "(run on a quiet machine, or --wait-quiet SECONDS)", file=sys.stderr)
    return 1 if any("error" in r for r in results) else EXIT_BUSY if refused else 0


if __name__ == "__main__":
    sys.exit(main())
