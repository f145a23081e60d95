"""A prepared GPU check: one command, at most ~8 minutes on one GPU, JSON and a short table out.

    python benchmarks/gpu_check.py [--output results/bench/gpu_check.json] [--budget-s 420]
        [--vgg-weights vgg19-dcbb9e9d.pth] [--dry-run]

1. **Training**: ESRNet and ESRGAN iterations of the official x4plus networks (RRDBNet 64 feat,
   23 blocks; U-Net discriminator with spectral norm, 64 feat; L1 + perceptual + GAN 0.1 with USM
   targets) through the real trainers at batch 12 / GT 256, in fp32, bf16 and fp16 (Accelerate mixed
   precision), with and without ``channels_last``, then with ``compile`` (channels_last on) as far
   as the time budget allows. Per run: seconds per iteration (median), peak memory, finite losses.
   Without ``--vgg-weights`` the perceptual loss uses seeded random VGG weights (same cost).
2. **Upscale** of a 1024² photo with ``realesrgan-x4plus`` (seeded random x4plus weights when the
   built-in model is not installed) in fp32, fp16 and bf16: seconds, peak memory, and PSNR / max
   difference of fp16 and bf16 against fp32; plus the tile ``tile: auto`` picks.
3. **OOM back-off**: the same upscale with the process capped to 2 GiB of GPU memory
   (``torch.cuda.set_per_process_memory_fraction``): a real CUDA out-of-memory error, the tile the
   tiler backed off to, and PSNR against the unconstrained output.
4. **DDP**: with two GPUs, a 2-process ESRNet run through ``torchrun`` and the training command.

``--dry-run`` runs the same code on the CPU with tiny sizes (fp16 training, compile and DDP are
listed as skipped; the upscale uses a random RRDBNet of the tiny size; the OOM back-off uses a
forward that raises ``torch.OutOfMemoryError`` above 32 px, as CUDA would), so CI runs it and it cannot rot. Exit status 1 when any run failed.
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

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._gpu_parts import ddp_check, oom_check, train_matrix, upscale_check  # noqa: E402

FULL = {"batch": 12, "gt": 256, "num_feat": 64, "num_block": 23, "d_feat": 64, "image": 1024, "warmup": 2,
        "iters": 5, "oom_cap_gib": 2.0}
DRY = {"batch": 2, "gt": 32, "num_feat": 8, "num_block": 1, "d_feat": 8, "image": 64, "warmup": 1, "iters": 1,
       "oom_cap_gib": 0.0}


def table(report: dict[str, Any]) -> str:
    """A short markdown table of every run."""
    lines = ["| part | run | s | peak GiB | note |", "|---|---|---|---|---|"]
    for part in ("train", "upscale", "oom", "ddp"):
        for r in report.get(part, []):
            s = r.get("seconds")
            mem = r.get("peak_gib")
            note = r.get("error") or r.get("skipped") or r.get("note", "")
            lines.append(f"| {part} | {r['name']} | {'-' if s is None else f'{s:.3f}'} | "
                         f"{'-' if mem is None else f'{mem:.2f}'} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", default="results/bench/gpu_check.json")
    p.add_argument("--budget-s", type=float, default=420.0, help="stop starting training runs after this long")
    p.add_argument("--vgg-weights", help="torchvision VGG19 weights for the perceptual loss (else random)")
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: checks the script itself")
    a = p.parse_args(argv)
    if not a.dry_run and not torch.cuda.is_available():
        p.error("no CUDA device; use --dry-run to check the script on the CPU")
    sizes = DRY if a.dry_run else FULL
    device = torch.device("cpu" if a.dry_run else "cuda")
    start = time.monotonic()
    report: dict[str, Any] = {"benchmark": "gpu_check", "dry_run": a.dry_run, "sizes": sizes, "torch": torch.__version__,
                              "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M"),
                              "device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor(),
                              "gpus": torch.cuda.device_count()}
    with tempfile.TemporaryDirectory() as tmp:
        report["upscale"], outputs = upscale_check(sizes, device)
        report["oom"] = [oom_check(sizes, device, outputs)]
        report["ddp"] = [ddp_check(sizes, device, Path(tmp))]
        report["train"] = train_matrix(sizes, device, Path(tmp), start + a.budget_s, a.vgg_weights)
    report["seconds_total"] = time.monotonic() - start
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"total {report['seconds_total']:.0f} s; JSON: {out}")
    failed = [r for part in ("train", "upscale", "oom", "ddp") for r in report[part] if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
