"""The parts of benchmarks/gpu_check.py: training matrix, upscale precisions, OOM back-off, DDP."""

from __future__ import annotations

import gc
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from benchmarks.training import make_trainer
from benchmarks.upscale import _photo

PLAIN_RUN_S, COMPILE_RUN_S = 30, 150  # a run is started only when this much of the time budget is left
PERCEPTUAL_LAYERS = {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1.0, "conv4_4": 1.0, "conv5_4": 1.0}


def _sync(device: torch.device) -> Callable[[], None]:
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def _reset(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None


def train_config(root: Path, s: dict[str, Any], trainer: str, options: dict[str, Any], vgg: str | None) -> dict[str, Any]:
    """The official x4plus stage (RealESRNet / RealESRGAN losses) at the check's sizes."""
    net_g = {"type": "rrdbnet", "num_feat": s["num_feat"], "num_block": s["num_block"]}
    if trainer == "esrnet":
        train = {"losses": [{"type": "l1"}], "gt_usm": True}
    else:
        percep = {"type": "perceptual", "layer_weights": PERCEPTUAL_LAYERS, "target": "gt_usm",
                  **({"weights_path": vgg} if vgg else {"random_weights": True})}
        train = {"losses": [{"type": "l1", "target": "gt_usm"}, percep, {"type": "gan", "weight": 0.1}], "gan_gt_usm": False}
    stage: dict[str, Any] = {"type": trainer, "name": trainer, "network_g": net_g,
                             "train": {"total_iter": 10**6, **train, **options}}
    if trainer == "esrgan":
        stage["network_d"] = {"type": "unet_discriminator_sn", "num_feat": s["d_feat"]}
    return {"name": "gpu_check", "scale": 4, "seed": 0, "experiments_root": str(root),
            "datasets": {"train": {"dataset": {"type": "skimage_photos", "patch_size": s["gt"] + 32},
                                   "batch_size_per_gpu": s["batch"]}},
            "degradation": "realesrgan_x4plus", "gt_size": s["gt"], "queue_size": 2 * s["batch"], "stages": [stage]}


def _train_runs() -> list[tuple[str, str, bool, bool]]:
    """(trainer, precision, channels_last, compile): the plain matrix first, compiled runs last."""
    runs = [(t, p, cl, False) for t in ("esrnet", "esrgan") for p in ("fp32", "bf16", "fp16") for cl in (False, True)]
    return runs + [(t, p, True, True) for p in ("bf16", "fp16", "fp32") for t in ("esrnet", "esrgan")]


def train_one(s: dict[str, Any], device: torch.device, root: Path, run: tuple[str, str, bool, bool],
              vgg: str | None) -> dict[str, Any]:
    trainer_type, precision, channels_last, compile_ = run
    options = {"mixed_precision": "no" if precision == "fp32" else precision, "channels_last": channels_last,
               "compile": compile_}
    _reset(device)
    loop, batches = make_trainer(train_config(root, s, trainer_type, options, vgg), root)
    sync, times, losses = _sync(device), [], {}
    for i in range(s["warmup"] + s["iters"]):
        sync()
        t0 = time.perf_counter()
        losses = loop.step(next(batches))
        sync()
        if i >= s["warmup"]:
            times.append(time.perf_counter() - t0)
    finite = all(math.isfinite(v) for v in losses.values())
    del loop, batches
    return {"seconds": statistics.median(times), "peak_gib": _peak_gib(device), "losses": losses,
            "note": "" if finite else "non-finite loss", **({} if finite else {"error": "non-finite loss"})}


def train_matrix(s: dict[str, Any], device: torch.device, root: Path, deadline: float, vgg: str | None) -> list[dict[str, Any]]:
    """Every training run that fits before ``deadline`` (monotonic seconds); the rest marked skipped."""
    rows, dry = [], device.type != "cuda"
    for run in _train_runs():
        t, p, cl, comp = run
        row: dict[str, Any] = {"name": f"{t} {p}{' channels_last' if cl else ''}{' compile' if comp else ''}",
                               "trainer": t, "precision": p, "channels_last": cl, "compile": comp}
        if dry and (p, cl, comp) not in (("fp32", False, False), ("bf16", True, False)):
            row["skipped"] = "dry run: fp32 and bf16 channels_last only (fp16 training and compile need CUDA)"
        elif time.monotonic() + (COMPILE_RUN_S if comp else PLAIN_RUN_S) > deadline:
            row["skipped"] = "time budget spent"
        else:
            try:
                row.update(train_one(s, device, root / row["name"].replace(" ", "_"), run, vgg))
            except Exception as exc:  # a failed configuration is a result, not the end of the check
                row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        rows.append(row)
        print(f"train {row['name']}: {row.get('seconds', '-')} s {row.get('error') or row.get('skipped') or ''}", flush=True)
    return rows


def _upscaler(s: dict[str, Any], device: torch.device, precision: str, **options: Any) -> tuple[Any, str]:
    """The built-in x4plus (full check) or a seeded random RRDBNet of the check's size."""
    from esrgan_core.upscaling.engine import Upscaler
    from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams

    note = f"random RRDBNet {s['num_feat']}/{s['num_block']}"
    if device.type == "cuda":
        try:
            from esrgan_core.modelfiles.loader import load_model

            return Upscaler.from_loaded(load_model("realesrgan-x4plus"), device=str(device), precision=precision, **options), ""
        except Exception:  # the built-in model's files are not installed here
            note = "random x4plus weights (built-in model not installed)"
    net = RRDBNet(RRDBNetParams(num_feat=s["num_feat"], num_block=s["num_block"]))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for prm in net.parameters():
            fan_in = prm[0].numel() if prm.ndim > 1 else 0  # biases 0, weights keep activations O(1)
            prm.copy_(torch.randn(prm.shape, generator=g) / math.sqrt(fan_in) if fan_in else torch.zeros_like(prm))
    return Upscaler(net, 4, device=str(device), precision=precision, **options), note


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return 10 * math.log10(1 / mse) if mse > 0 else float("inf")


def upscale_check(s: dict[str, Any], device: torch.device) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """x4plus on an ``image``² photo in fp32, fp16, bf16; reduced precisions compared with fp32."""
    x, rows, outputs = _photo(s["image"]), [], {}
    for precision in ("fp32", "fp16", "bf16"):
        row: dict[str, Any] = {"name": f"x4plus {s['image']}px {precision}"}
        if precision == "fp16" and device.type != "cuda":
            row["skipped"] = "fp16 convolutions are emulated (slow) on the CPU"
            rows.append(row)
            continue
        try:
            _reset(device)
            up, note = _upscaler(s, device, precision)
            up.upscale_rgb(_photo(64))
            t0 = time.perf_counter()
            outputs[precision] = up.upscale_rgb(x)
            _sync(device)()
            row.update(seconds=time.perf_counter() - t0, peak_gib=_peak_gib(device), note=note)
            if precision != "fp32" and "fp32" in outputs:
                row.update(psnr_vs_fp32=_psnr(outputs[precision], outputs["fp32"]),
                           max_diff_vs_fp32=float(np.abs(outputs[precision] - outputs["fp32"]).max()))
                row["note"] = f"{note} {row['psnr_vs_fp32']:.1f} dB vs fp32".strip()
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
        rows.append(row)
    auto, _ = _upscaler(s, device, "auto", tile="auto")
    rows.append({"name": "tile auto", "tile": auto.tiler.tile_for(s["image"], s["image"]), "seconds": None,
                 "note": f"tile {auto.tiler.tile_for(s['image'], s['image'])} for {s['image']}px, max "
                         f"{auto.tiler.max_pixels} px per pass, {str(auto.dtype).replace('torch.', '')}"})
    return rows, outputs


def oom_check(s: dict[str, Any], device: torch.device, outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """A real CUDA OOM (memory capped) or, in the dry run, a forward that raises it above 16 px."""
    row: dict[str, Any] = {"name": "oom back-off"}
    precision = "fp16" if device.type == "cuda" else "fp32"
    try:
        _reset(device)
        up, _ = _upscaler(s, device, precision)
        if device.type == "cuda":
            total = torch.cuda.get_device_properties(device).total_memory
            torch.cuda.set_per_process_memory_fraction(min(1.0, s["oom_cap_gib"] * 2**30 / total), device)
        else:
            inner = up.tiler.forward

            def forward(tiles: torch.Tensor) -> torch.Tensor:
                if max(tiles.shape[-2:]) > 32:
                    raise torch.OutOfMemoryError("out of memory (dry run)")
                return inner(tiles)
            up.tiler.forward = forward
        t0 = time.perf_counter()
        out = up.upscale_rgb(_photo(s["image"]))  # dry run: 64 px whole -> OOM -> tiles of 32
        row.update(seconds=time.perf_counter() - t0, peak_gib=_peak_gib(device), tile_limit=up.tiler.tile_limit)
        ref = outputs.get(precision)
        row["note"] = f"backed off to tile {up.tiler.tile_limit}" + (f", {_psnr(out, ref):.1f} dB vs uncapped" if ref is not None else "")
        if not up.tiler.tile_limit:
            row["error"] = "no out-of-memory error happened"
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        if device.type == "cuda":
            torch.cuda.set_per_process_memory_fraction(1.0, device)
    return row


def ddp_check(s: dict[str, Any], device: torch.device, root: Path) -> dict[str, Any]:
    """Two processes of an ESRNet run through torchrun and the training command (two GPUs only)."""
    row: dict[str, Any] = {"name": "ddp 2 processes"}
    if device.type != "cuda" or torch.cuda.device_count() < 2:
        row["skipped"] = "needs two GPUs"
        return row
    import yaml

    data = train_config(root / "ddp", {**s, "num_block": 6}, "esrnet", {"mixed_precision": "bf16"}, None)
    data["stages"][0]["train"]["total_iter"] = 20
    (root / "ddp.yml").write_text(yaml.safe_dump(data))
    launch = root / "launch.py"
    launch.write_text("import sys; from esrgan_core.cli import main; sys.exit(main(sys.argv[1:]))\n")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(launch), str(root / "ddp.yml")]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=dict(os.environ, OMP_NUM_THREADS="4"))
    row["seconds"] = time.perf_counter() - t0
    if proc.returncode:
        row["error"] = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:200]
    else:
        row["note"] = "20 iterations, batch 12 per GPU, RRDBNet 6 blocks, bf16"
    return row
