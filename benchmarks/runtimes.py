"""Upscale throughput of one model through torch, onnxruntime and ncnn on the CPU, as ratios to torch.

    python benchmarks/runtimes.py results/bench/runtimes.json [--models realesr-animevideov3 realesrgan-x4plus]
        [--size 256] [--tile 0] [--threads 2] [--repeats 3] [--quick]

Each model is exported once (``esrgan-run export`` code: ONNX fp32, ncnn fp16 storage) into a
temporary folder; then the same ``Upscaler`` (tiler, padding, clamping) runs a crop of skimage's
astronaut photo with each engine: torch (``torch.set_num_threads``), onnxruntime
(``intra_op_num_threads``) and ncnn (``opt.num_threads``), all with ``--threads`` threads. Per
engine: best-of-``repeats`` seconds after one warm-up, input megapixels per second, and the speed
ratio to torch (> 1: faster than torch), plus the largest 8-bit difference from the torch result.
``--quick``: a 64 px image, one repeat, the Compact model only (checks the script runs).
Repeats taken while other processes used more than ``--max-load`` of the CPU are refused
(benchmarks/_load.py): no time is reported from them, and the exit status is 3 (0 with ``--quick``).
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._load import EXIT_BUSY, LoadGuard, add_load_options, best_or_none, guard_from, load_summary  # noqa: E402

ENGINES = ("torch", "onnxruntime", "ncnn")


def _photo(size: int) -> Any:
    import numpy as np
    import skimage.data

    a = skimage.data.astronaut().astype(np.float32) / 255
    return np.ascontiguousarray(a[:size, :size])


def _upscalers(model: str, folder: Path, threads: int, tile: int) -> dict[str, Any]:
    from esrgan_core.modelfiles.loader import load_model
    from esrgan_core.upscaling.engine import Upscaler
    from esrgan_core.upscaling.runtimes import load_runtime
    from esrgan_plugins.export.command import model_name
    from esrgan_plugins.export.formats import export_ncnn, export_onnx

    loaded = load_model(model)
    stem = folder / f"{model_name(model)}-x{loaded.description.scale}"
    export_onnx(loaded, stem.with_suffix(".onnx"))
    export_ncnn(loaded, stem.with_suffix(".param"), stem.with_suffix(".bin"))
    nets = {"torch": loaded,
            "onnxruntime": load_runtime("onnxruntime", stem.with_suffix(".onnx"), threads),
            "ncnn": load_runtime("ncnn", stem.with_suffix(".param"), threads)}
    return {e: Upscaler.from_loaded(n, tile=tile, device="cpu", precision="fp32") for e, n in nets.items()}


def bench_model(model: str, size: int, tile: int, threads: int, repeats: int, guard: LoadGuard) -> dict[str, Any]:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    image = _photo(size)
    with tempfile.TemporaryDirectory() as tmp:
        ups = _upscalers(model, Path(tmp), threads, tile)
        rows, reference = {}, None
        for engine, up in ups.items():
            out = up.upscale_rgb(image)  # warm-up
            engine_guard = LoadGuard(guard.limit, guard.wait)
            for _ in range(repeats):
                out = engine_guard.timed(functools.partial(up.upscale_rgb, image))
            guard.repeats += engine_guard.repeats
            best = best_or_none(engine_guard)
            u8 = np.round(out * 255).astype(np.int16)
            reference = u8 if reference is None else reference
            rows[engine] = {"seconds": best, "mpix_per_s": size * size / 1e6 / best if best else None,
                            "max_u8_diff_vs_torch": int(np.abs(u8 - reference).max())}
    for row in rows.values():
        torch_s = rows["torch"]["seconds"]
        row["speed_vs_torch"] = torch_s / row["seconds"] if torch_s and row["seconds"] else None
    return {"model": model, "size": size, "tile": tile, "engines": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("output", nargs="?", help="JSON results file")
    p.add_argument("--output", dest="output_opt", help="JSON results file (same as the positional form)")
    p.add_argument("--models", nargs="+", default=["realesr-animevideov3", "realesrgan-x4plus"])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--tile", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="64 px, 1 repeat, the Compact model only")
    add_load_options(p)
    args = p.parse_args(argv)
    guard = guard_from(args)
    args.output = args.output or args.output_opt
    if args.quick:
        args.models, args.size, args.repeats = ["realesr-animevideov3"], 64, 1
    results = [bench_model(m, args.size, args.tile, args.threads, args.repeats, guard) for m in args.models]
    import onnxruntime
    import torch

    report = {"benchmark": "runtimes", "python": platform.python_version(), "torch": torch.__version__,
              "onnxruntime": onnxruntime.__version__, "threads": args.threads, "machine": platform.machine(),
              "quick": args.quick, "results": results, "load": load_summary(guard.repeats, guard.limit)}
    text = json.dumps(report, indent=2) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    sys.stdout.write(text)
    if report["load"]["refused"]:
        print(report["load"]["refused_reason"], file=sys.stderr)
    return EXIT_BUSY if report["load"]["refused"] and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
