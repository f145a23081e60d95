"""Architecture benchmark: size, MACs, one training iteration and inference speed of every built-in generator.

    python benchmarks/architectures.py --output results/bench/architectures.json [--threads 2] [--only span,dat]
    python benchmarks/architectures.py --quick      # tiny settings, small inputs: checks that it runs (no load guard)

For each architecture at its default preset (x4): parameter count, MACs per input pixel (counted by
``torch.utils.flop_counter`` on a 64x64 input: conv, matmul and attention; FLOPs / 2), the median time
of one training iteration (batch 4 of 64x64 LR patches: forward, L1, backward, Adam step; fp32 on the
CPU, and CUDA + bf16 autocast when a GPU is present) and inference megapixels (output) per second on
one 128x128 LR image. ``vs_rrdbnet`` divides each time by RRDBNet's from the same run: compare ratios,
not lone absolute times. Repeats taken while other processes used more than ``--max-load`` of the
CPU are refused (benchmarks/_load.py; ``--wait-quiet SECONDS`` waits; exit 3 when any was refused).
Writes JSON with machine info.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._load import EXIT_BUSY, LoadGuard, add_load_options, guard_from, load_summary  # noqa: E402

SCALE = 4
BASELINE = "rrdbnet"
TINY_BUILTIN = {"rrdbnet": {"num_feat": 8, "num_block": 1, "num_grow_ch": 8}, "srvgg_compact": {"num_feat": 8, "num_conv": 2}}


def generators(registries: Any, quick: bool) -> dict[str, Any]:
    """``{name: params}`` for RRDBNet, SRVGGNetCompact and every spandrel architecture (default preset, x4)."""
    from esrgan_plugins.archs.table import ARCHS

    nets = registries["networks"]
    out = {name: from_dict(nets.get(name).params, {"upscale" if name == "srvgg_compact" else "scale": SCALE,
                                                   **(TINY_BUILTIN[name] if quick else {})})
           for name in (BASELINE, "srvgg_compact")}
    for spec in ARCHS:
        tiny = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.tiny.items()} if quick else {}
        out[spec.name] = from_dict(spec.params, {"scale": SCALE, **tiny})
    return out


GUARD = LoadGuard()  # replaced in main() by the one the command line configures


def _timed(step: Callable[[], Any], iters: int, sync: Callable[[], None]) -> float | None:
    """Median seconds of the repeats taken on a quiet machine (None: every one was refused)."""
    step()  # warm-up
    start = len(GUARD.repeats)
    for _ in range(iters):
        GUARD.timed(step, sync)
    times = [r["seconds"] for r in GUARD.repeats[start:] if not r["refused"]]
    return statistics.median(times) if times else None


def macs_per_pixel(net: torch.nn.Module, size: int) -> float:
    x = torch.rand(1, 3, size, size)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        net.eval()(x)
    return counter.get_total_flops() / 2 / (size * size)


def train_iteration_s(net: torch.nn.Module, device: torch.device, lr_size: int, batch: int, iters: int,
                      dtype: torch.dtype | None) -> float | None:
    net = net.to(device).train()
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-4)
    g = torch.Generator().manual_seed(0)
    lq = torch.rand(batch, 3, lr_size, lr_size, generator=g).to(device)
    gt = torch.rand(batch, 3, lr_size * SCALE, lr_size * SCALE, generator=g).to(device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = torch.nn.functional.l1_loss(net(lq).float(), gt)
        loss.backward()
        opt.step()

    return _timed(step, iters, torch.cuda.synchronize if device.type == "cuda" else (lambda: None))


def inference_mps(net: torch.nn.Module, size: int, iters: int) -> float | None:
    net = net.cpu().eval()
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        seconds = _timed(lambda: net(x), iters, lambda: None)
    return (size * SCALE) ** 2 / 1e6 / seconds if seconds else None


def at_least(factory: Any, params: Any, size: int) -> int:
    """``size``, raised to the architecture's minimum input (spandrel's size requirements; Real-CUGAN: 40)."""
    descriptor = getattr(factory, "descriptor", None)
    if descriptor is None:
        return size
    req = descriptor(params).size_requirements
    size = max(size, req.minimum)
    return -(-size // req.multiple_of) * req.multiple_of


def bench_one(name: str, factory: Any, params: Any, a: argparse.Namespace) -> dict[str, Any]:
    torch.manual_seed(0)
    net = factory(params)
    lr_size, infer_size = at_least(factory, params, a.lr_size), at_least(factory, params, a.infer_size)
    row: dict[str, Any] = {"name": name, "params": sum(p.numel() for p in net.parameters() if p.requires_grad),
                           "macs_per_pixel": macs_per_pixel(net, lr_size), "lr_size": lr_size}
    row["train_iter_cpu_fp32_s"] = train_iteration_s(net, torch.device("cpu"), lr_size, a.batch, a.iters, None)
    if torch.cuda.is_available():
        row["train_iter_cuda_bf16_s"] = train_iteration_s(net, torch.device("cuda"), lr_size, a.batch, a.iters,
                                                          torch.bfloat16)
    row["inference_mp_per_s"] = inference_mps(net, infer_size, a.iters)
    print(json.dumps(row), flush=True)
    return row


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def add_ratios(rows: list[dict[str, Any]]) -> None:
    base = next((r for r in rows if r["name"] == BASELINE), None)
    if base is None:
        return
    for r in rows:
        r["vs_rrdbnet"] = {key: _ratio(r.get(field), base.get(field)) for key, field in (
            ("params", "params"), ("macs", "macs_per_pixel"), ("train_iter_cpu", "train_iter_cpu_fp32_s"),
            ("train_iter_cuda", "train_iter_cuda_bf16_s"), ("inference_speed", "inference_mp_per_s"))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", default="results/bench/architectures.json")
    p.add_argument("--only", default="", help="comma-separated names (rrdbnet is always included for the ratios)")
    p.add_argument("--quick", action="store_true", help="tiny settings, 16 px inputs, 1 iteration")
    p.add_argument("--threads", type=int, default=2)
    add_load_options(p)
    a = p.parse_args(argv)
    if a.quick:
        a.max_load = 1.0  # a run check, not a measurement: never refuse its repeats
    global GUARD
    GUARD = guard_from(a)
    a.batch, a.lr_size, a.infer_size, a.iters = (4, 16, 16, 1) if a.quick else (4, 64, 128, 3)
    torch.set_num_threads(a.threads)
    registries = load_plugins().registries
    chosen = {n.strip() for n in a.only.split(",") if n.strip()}
    rows = [bench_one(name, registries["networks"].get(name).factory, params, a)
            for name, params in generators(registries, a.quick).items() if not chosen or name in chosen | {BASELINE}]
    add_ratios(rows)
    report = {"benchmark": "architectures", "quick": a.quick, "scale": SCALE, "batch": a.batch, "lr_size": a.lr_size,
              "infer_size": a.infer_size, "iters": a.iters, "threads": a.threads, "torch": torch.__version__,
              "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
              "python": platform.python_version(), "cpu_count": os.cpu_count(), "machine": platform.machine(),
              "results": rows, "load": load_summary(GUARD.repeats, GUARD.limit)}
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    if report["load"]["refused"]:
        print(report["load"]["refused_reason"], file=sys.stderr)
    return EXIT_BUSY if report["load"]["refused"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
