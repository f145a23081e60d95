"""Training iteration time: ESRNet and ESRGAN steps through the real trainers, on CPU (or CUDA).

    python benchmarks/training.py --output out.json [--batch 4] [--gt-size 128] [--iters 8]
        [--num-feat 64] [--num-block 6] [--threads 2]

Each trainer runs ``train_step`` on batches of HR crops of the scikit-image photos through the
x4plus degradation preset (USM, two degradation rounds, final sinc/JPEG, paired crop, pair pool).
In the same run the simplest baseline is timed: a plain generator step (forward, L1, backward,
Adam) on ready-made LR/HR tensors of the same shapes, so ``overhead_vs_plain_step`` says what the
on-the-fly degradation, pool, EMA and bookkeeping cost on top of the network itself.
ESRNet also runs with each of ``--variants`` (``train.channels_last``, ``train.compile``,
``mixed_precision: bf16``) to decide the per-device defaults. Writes JSON with machine info; report
ratios from one run, not lone absolute times. Repeats taken while other processes used more than
``--max-load`` of the CPU are refused (benchmarks/_load.py; ``--wait-quiet SECONDS`` waits).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from esrgan_core.config import build_config
from esrgan_core.context import RunContext
from esrgan_core.plugins import load_plugins

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._load import EXIT_BUSY, LoadGuard, add_load_options, guard_from, load_summary  # noqa: E402

VARIANTS = {"plain": {}, "channels_last": {"channels_last": True}, "compile": {"compile": True},
            "bf16": {"mixed_precision": "bf16"}}  # train options of the ESRNet variants


def _config(root: Path, a: argparse.Namespace, trainer: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    net_g = {"type": "rrdbnet", "num_feat": a.num_feat, "num_block": a.num_block}
    losses = [{"type": "l1", "target": "gt_usm"}] + ([{"type": "gan", "weight": 0.1}] if trainer == "esrgan" else [])
    stage: dict[str, Any] = {"type": trainer, "name": trainer, "network_g": net_g,
                             "train": {"total_iter": 10**6, "losses": losses, **(options or {})}}
    if trainer == "esrgan":
        stage["network_d"] = {"type": "unet_discriminator_sn", "num_feat": a.num_feat}
        stage["train"]["gan_gt_usm"] = False
    else:
        stage["train"]["gt_usm"] = True
    return {"name": "bench", "scale": 4, "seed": 0, "experiments_root": str(root),
            "datasets": {"train": {"dataset": {"type": "skimage_photos", "patch_size": a.gt_size + 32},
                                   "batch_size_per_gpu": a.batch}},
            "degradation": "realesrgan_x4plus", "gt_size": a.gt_size, "queue_size": 4 * a.batch,
            "stages": [stage]}


GUARD = LoadGuard()  # replaced in main() by the one the command line configures


def _timed(step: Callable[[], Any], warmup: int, iters: int, sync: Callable[[], None]) -> list[float]:
    """Seconds of the repeats taken on a quiet machine (see benchmarks/_load.py)."""
    for _ in range(warmup):
        step()
    start = len(GUARD.repeats)
    for _ in range(iters):
        GUARD.timed(step, sync)
    return [r["seconds"] for r in GUARD.repeats[start:] if not r["refused"]]


def _stats(times: list[float]) -> dict[str, Any]:
    if not times:
        return {"median_s": None, "min_s": None, "refused": "every repeat was taken on a busy machine"}
    return {"median_s": statistics.median(times), "min_s": min(times)}


def make_trainer(data: dict[str, Any], root: Path) -> tuple[Any, Iterator[Any]]:
    """The first stage's loop of config ``data`` (``loop.step(batch)``: the pair step and the trainer's
    step, as training runs them) and an endless iterator of its training batches.

    Each call gets a fresh Accelerator (one per run; this script times several runs with different
    precisions in one process, so Accelerate's process-wide state is reset first, as its own tests do).
    """
    from accelerate.state import AcceleratorState, GradientState

    from esrgan_core.runlayout import StageLayout
    from esrgan_core.trainer_api import StageContext
    from esrgan_core.training.accel import make_accelerator
    from esrgan_core.training.config import stage_precision
    from esrgan_core.training.data import make_train_loader
    from esrgan_core.training.loop import StageLoop

    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    cfg, host = build_config(data, host_factory=lambda m: load_plugins(m))
    ctx = RunContext(host, cfg)
    run = cfg.params
    stage = run.stages[0]
    sctx = StageContext(run=run, index=0, layout=StageLayout(root / stage.params.name),
                        accelerator=make_accelerator(stage_precision(stage)), registries=ctx.registries,
                        base_dir=Path.cwd(), config_hash="bench")
    trainer = stage.build(ctx.registries, sctx)
    dataset = ctx.build(run.datasets.train.dataset, base_dir=Path.cwd())
    loop = StageLoop(trainer, stage.params, sctx, dataset, None, ctx.hook)
    batch = run.datasets.train.batch_size_per_gpu
    return loop, iter(make_train_loader(dataset, batch, 0, seed=0, rank=0, world=1, start=0))


def bench_trainer(trainer_type: str, a: argparse.Namespace, root: Path, variant: str = "plain") -> dict[str, Any]:
    loop, batches = make_trainer(_config(root, a, trainer_type, VARIANTS[variant]), root)
    device = loop.acc.device
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = _timed(lambda: loop.step(next(batches)), 2, a.iters, sync)
    return {"trainer": trainer_type, "variant": variant, **_stats(times), "device": str(device)}


def bench_plain_step(a: argparse.Namespace) -> dict[str, Any]:
    """Baseline: generator forward + L1 + backward + Adam on fixed tensors of the same shapes."""
    from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = RRDBNet(RRDBNetParams(num_feat=a.num_feat, num_block=a.num_block)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.99))
    g = torch.Generator().manual_seed(0)
    lq = torch.rand(a.batch, 3, a.gt_size // 4, a.gt_size // 4, generator=g).to(device)
    gt = torch.rand(a.batch, 3, a.gt_size, a.gt_size, generator=g).to(device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.l1_loss(net(lq), gt).backward()
        opt.step()

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = _timed(step, 2, a.iters, sync)
    return {"trainer": "plain_generator_step", **_stats(times), "device": str(device)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", default="results/bench/training.json")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--gt-size", type=int, default=128)
    p.add_argument("--iters", type=int, default=8)
    p.add_argument("--num-feat", type=int, default=64)
    p.add_argument("--num-block", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variants", default="plain,channels_last,compile,bf16",
                   help=f"ESRNet variants to time, comma list of {', '.join(VARIANTS)}")
    add_load_options(p)
    a = p.parse_args(argv)
    global GUARD
    GUARD = guard_from(a)
    torch.set_num_threads(a.threads)
    with tempfile.TemporaryDirectory() as tmp:
        plain = bench_plain_step(a)
        results = [plain] + [bench_trainer("esrnet", a, Path(tmp), v) for v in a.variants.split(",")]
        results.append(bench_trainer("esrgan", a, Path(tmp)))
    for r in results[1:]:
        r["overhead_vs_plain_step"] = r["median_s"] / plain["median_s"] if r["median_s"] and plain["median_s"] else None
    report = {
        "benchmark": "training", "batch": a.batch, "gt_size": a.gt_size, "lr_size": a.gt_size // 4,
        "network_g": {"type": "rrdbnet", "num_feat": a.num_feat, "num_block": a.num_block},
        "degradation": "realesrgan_x4plus", "iters": a.iters, "threads": a.threads,
        "torch": torch.__version__, "python": platform.python_version(), "cpu_count": os.cpu_count(),
        "machine": platform.machine(), "results": results, "load": load_summary(GUARD.repeats, GUARD.limit),
    }
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "load"}, indent=2))
    if report["load"]["refused"]:
        print(report["load"]["refused_reason"], file=sys.stderr)
    return EXIT_BUSY if report["load"]["refused"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
