"""What each stage beyond Real-ESRGAN adds to an x4plus degradation iteration (batch 12, 400x400 HR -> 100x100 LR).

    python benchmarks/degradation_stages.py --output out.json [--threads 2] [--iters 5] [--device cpu] [--quick]

For every new stage, the realesrgan_x4plus preset is timed with that stage added where a recipe
would put it (optical/camera stages after usm on the HR crop is not what the presets do: the camera
runs at LR; here: blur-like stages right after ``usm`` at HR, codec/chroma/camera/tone stages at the
end on the LR) against the preset alone, in the same run on the same batch and seed; the JSON gives
seconds per batch for both and the difference. Codec stages (video_codec per codec, with 1 and 5
frame clips; image_codec WebP and AVIF) run on the CPU whatever ``--device`` is, so on CUDA the
figure includes the copies. Every repeat is guarded by benchmarks/_load.py (a repeat taken while
other processes used more than 10% of the CPU is refused; exit 3 when any was). Not run by the
test-suite; numbers go into docs/degradations.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._load import EXIT_BUSY, add_load_options, guard_from, load_summary  # noqa: E402
from esrgan_core.degradation.pipeline import Pipeline  # noqa: E402
from esrgan_core.degradation.presets import load_preset  # noqa: E402
from esrgan_core.plugins import load_plugins  # noqa: E402

AT_HR = {"motion_blur": {}, "defocus_blur": {}}
AT_LR = {
    "video_codec h264 1 frame": {"type": "video_codec", "codecs": ["h264"]},
    "video_codec h264 5 frames": {"type": "video_codec", "codecs": ["h264"], "frames": 5},
    "video_codec hevc 5 frames": {"type": "video_codec", "codecs": ["hevc"], "frames": 5},
    "video_codec mpeg2video 5 frames": {"type": "video_codec", "codecs": ["mpeg2video"], "frames": 5},
    "video_codec mpeg4 5 frames": {"type": "video_codec", "codecs": ["mpeg4"], "frames": 5},
    "video_codec vp9 5 frames": {"type": "video_codec", "codecs": ["vp9"], "frames": 5},
    "image_codec webp": {"type": "image_codec", "formats": ["webp"]},
    "image_codec avif": {"type": "image_codec", "formats": ["avif"]},
    "chroma_subsample": {"type": "chroma_subsample"},
    "camera": {"type": "camera"},
    "sharpen_halo": {"type": "sharpen_halo"},
    "posterize": {"type": "posterize"},
    "color_jitter": {"type": "color_jitter"},
}


def variants(base: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out = {"x4plus": base}
    for name, extra in AT_HR.items():
        out[f"+ {name} (HR)"] = [base[0], {"type": name, **extra}, *base[1:]]
    for name, stage in AT_LR.items():
        out[f"+ {name} (LR)"] = [*base, stage]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--quick", action="store_true", help="2 crops of 128x128, one repeat: checks that it runs")
    add_load_options(ap)
    args = ap.parse_args()
    guard = guard_from(args)
    torch.set_num_threads(args.threads)
    batch, hr, iters = (2, 128, 1) if args.quick else (12, 400, args.iters)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    registries = load_plugins().registries
    gt = torch.rand(batch, 3, hr, hr, generator=torch.Generator().manual_seed(0)).to(device)
    results: dict[str, Any] = {}
    for name, stages in variants(load_preset("realesrgan_x4plus").stages).items():
        pipeline = Pipeline.from_dicts(stages, registries)
        pipeline(gt, torch.Generator().manual_seed(1), 4)  # warm-up (encoder start-up, FFT plans)
        start = len(guard.repeats)
        for _ in range(iters):
            guard.timed(lambda p=pipeline: p(gt, torch.Generator().manual_seed(1), 4), sync)
        times = [r["seconds"] for r in guard.repeats[start:] if not r["refused"]]
        results[name] = {"seconds_per_batch": statistics.median(times) if times else None}
    base = results["x4plus"]["seconds_per_batch"]
    for r in results.values():
        s = r["seconds_per_batch"]
        r["added_s"] = s - base if s is not None and base is not None else None
    doc = {"benchmark": "degradation stages beyond x4plus", "batch": batch, "hr": hr, "lr": hr // 4,
           "threads": args.threads, "device": str(device), "torch": torch.__version__, "quick": args.quick,
           "machine": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
           "results": results, "load": load_summary(guard.repeats, guard.limit)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, indent=1) + "\n")
    return EXIT_BUSY if any(r["refused"] for r in guard.repeats) else 0


if __name__ == "__main__":
    raise SystemExit(main())
