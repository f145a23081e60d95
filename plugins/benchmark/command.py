"""``esrgan-run benchmark``: builds the same config a ``task: benchmark`` YAML file would, then runs it.

    esrgan-run benchmark -m realesrgan-x4plus -m my.safetensors --dataset skimage_x4plus --max-size 256 -o out
    esrgan-run benchmark -m realesrgan-x4plus --hr Set14/HR --lr Set14/LRx4 --metrics psnr,ssim,lpips -o out
    esrgan-run benchmark -m realesrgan-x4plus --hr DIV2K_valid_HR --recipe realesrgan_x4plus --seed 0 -o out
"""

from __future__ import annotations

import argparse
from typing import Any

from esrgan_core.config import build_config
from esrgan_core.context import run_config
from esrgan_core.errors import ConfigError

CROPPED_METRICS = ("psnr", "ssim")


def configure(p: argparse.ArgumentParser) -> None:
    """Add the benchmark options; defaults not given here come from :class:`BenchmarkParams`."""
    a = p.add_argument
    a("-m", "--model", dest="models", action="append", required=True, metavar="MODEL",
      help="built-in name, model file or run folder experiments/<name>; repeatable")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", choices=["skimage_x4plus"], help="a built-in test set (the default)")
    src.add_argument("--hr", help="folder of HR images (with --lr, or --recipe)")
    a("--lr", help="folder of LR images matching --hr by file stem")
    a("--recipe", help="degradation preset that makes the LR images from --hr (e.g. realesrgan_x4plus)")
    a("--seed", type=int, default=0, help="seed of the one-time degradation (default 0)")
    a("--name", help="dataset name in the report")
    a("--max-size", dest="max_size", type=int, help="centre-crop HR images to at most this many pixels per side")
    a("--max-images", dest="max_images", type=int, default=0, help="use at most this many images (0: all)")
    a("--metrics", default="", help="comma-separated metric names (default: psnr,ssim + stlpips,fid when available)")
    a("--crop-border", dest="crop_border", type=int, help="border crop of psnr/ssim (default: the scale)")
    a("--y", dest="y_channel", action="store_true", help="psnr/ssim on the BT.601 Y channel instead of RGB")
    a("-o", "--output", required=True, help="output folder")
    a("-s", "--scale", type=int, default=4, help="upscaling factor (default 4)")
    a("-t", "--tile", type=int, help="tile size in LR pixels (default 0 = whole image)")
    a("--device", help="auto, cpu, cuda, cuda:N (default auto)")
    a("--precision", choices=["fp32", "fp16", "bf16", "auto"], help="inference precision (default fp32)")
    a("--cache-dir", dest="cache_dir", help="cache folder of degraded LR images")


def config_data(args: argparse.Namespace) -> dict[str, Any]:
    """The config (plain data, ``task: benchmark``) equivalent to the command-line options."""
    if (args.lr or args.recipe) and not args.hr:
        raise ConfigError("--lr and --recipe need --hr", path="--hr")
    dataset: dict[str, Any] = {"max_images": args.max_images}
    if args.hr:
        dataset.update(hr=args.hr, **({"lr": args.lr} if args.lr else {}), **({"recipe": args.recipe} if args.recipe else {}))
        if args.recipe:
            dataset["seed"] = args.seed
    else:
        dataset.update(builtin=args.dataset or "skimage_x4plus", seed=args.seed)
    if args.name:
        dataset["name"] = args.name
    if args.max_size:
        dataset["max_size"] = args.max_size
    metrics: list[dict[str, Any]] = []
    for name in (n.strip() for n in args.metrics.split(",")):
        if not name:
            continue
        spec: dict[str, Any] = {"type": name}
        if name in CROPPED_METRICS:
            spec.update(crop_border=args.scale if args.crop_border is None else args.crop_border,
                        test_y_channel=bool(args.y_channel))
        metrics.append(spec)
    data: dict[str, Any] = {"task": "benchmark", "models": list(args.models), "datasets": [dataset],
                            "metrics": metrics, "output": args.output, "scale": args.scale}
    for key in ("tile", "device", "precision", "cache_dir"):
        if getattr(args, key) is not None:
            data[key] = getattr(args, key)
    return data


def handler(args: argparse.Namespace) -> int:
    """Validate the options as a ``benchmark`` config and run it."""
    cfg, host = build_config(config_data(args), file=None)
    return run_config(cfg, host, debug=getattr(args, "debug", False))
