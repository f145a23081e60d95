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
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ENGINES = ("torch", "onnxruntime", "ncnn")


def _photo(size: int) -> Any:
    import numpy as np
    import skimage.data

    a = skimage.data.astronaut().astype(np.float32) / 255
    return np.ascontiguousarray(a[:size, :size])


def _upscalers(model: str, folder: Path, threads: int, tile: int) -> dict[str, Any]:
    from esrgan_plugins.export.command import model_name
    from esrgan_plugins.export.formats import export_ncnn, export_onnx
    from esrgan_plugins.modelfiles.loader import load_model
    from esrgan_plugins.upscale.engine import Upscaler
    from esrgan_plugins.upscale.runtimes import load_runtime

    loaded = load_model(model)
    stem = folder / f"{model_name(model)}-x{loaded.description.scale}"
    export_onnx(loaded, stem.with_suffix(".onnx"))
    export_ncnn(loaded, stem.with_suffix(".param"), stem.with_suffix(".bin"))
    nets = {"torch": loaded,
            "onnxruntime": load_runtime("onnxruntime", stem.with_suffix(".onnx"), threads),
            "ncnn": load_runtime("ncnn", stem.with_suffix(".param"), threads)}
    return {e: Upscaler.from_loaded(n, tile=tile, device="cpu", precision="fp32") for e, n in nets.items()}


def bench_model(model: str, size: int, tile: int, threads: int, repeats: int) -> dict[str, Any]:
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    image = _photo(size)
    with tempfile.TemporaryDirectory() as tmp:
        ups = _upscalers(model, Path(tmp), threads, tile)
        rows, reference = {}, None
        for engine, up in ups.items():
            out = up.upscale_rgb(image)  # warm-up
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                out = up.upscale_rgb(image)
                times.append(time.perf_counter() - start)
            u8 = np.round(out * 255).astype(np.int16)
            reference = u8 if reference is None else reference
            rows[engine] = {"seconds": min(times), "mpix_per_s": size * size / 1e6 / min(times),
                            "max_u8_diff_vs_torch": int(np.abs(u8 - reference).max())}
    for row in rows.values():
        row["speed_vs_torch"] = rows["torch"]["seconds"] / row["seconds"]
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
    args = p.parse_args(argv)
    args.output = args.output or args.output_opt
    if args.quick:
        args.models, args.size, args.repeats = ["realesr-animevideov3"], 64, 1
    results = [bench_model(m, args.size, args.tile, args.threads, args.repeats) for m in args.models]
    import onnxruntime
    import torch

    report = {"benchmark": "runtimes", "python": platform.python_version(), "torch": torch.__version__,
              "onnxruntime": onnxruntime.__version__, "threads": args.threads, "machine": platform.machine(),
              "quick": args.quick, "results": results}
    text = json.dumps(report, indent=2) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
