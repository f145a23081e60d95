"""Validation: SR of held-out images by the EMA generator, PSNR/SSIM (reference definitions), images.

Pairs come from ``datasets.val``: a paired dataset gives ``lq`` and ``gt``; an HR dataset's
images are degraded once by the run's degradation pipeline with a fixed seed per image (the same
LQ at every validation; :mod:`esrgan_core.degradation.once`). Runs on the main process; images may
be upscaled in tiles.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from esrgan_core.degradation.once import degrade_once
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.images import from_tensor01, write_image
from esrgan_core.photos import ref_name
from esrgan_core.upscaling.tiling import Tiler
from esrgan_core.values import ComponentSpec

log = logging.getLogger("esrgan.train")


def build_metrics(specs: tuple[ComponentSpec, ...], ctx: Any) -> list[Any]:
    """Metric objects from ``val.metrics`` (default: psnr and ssim with their default options)."""
    if not specs:
        reg = ctx.registries["metrics"]
        return [reg.get(n).factory(reg.get(n).params()) for n in ("psnr", "ssim")]
    return [ctx.build(s) for s in specs]


def validation_pairs(run: Any, ctx: Any, base_dir: Path) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(name, lq, gt)`` (1x3xHxW CPU tensors) of ``datasets.val``: a paired dataset's images, or each HR
    image degraded once (:func:`~esrgan_core.degradation.once.degrade_once`, seed ``val.degradation_seed``,
    index = its position) by the run's pipeline."""
    spec = run.datasets.val
    dataset = ctx.build(spec.dataset, base_dir=base_dir)
    n = len(dataset) if not spec.max_images else min(spec.max_images, len(dataset))
    pipeline = None  # built on the first HR-only item
    pairs = []
    for i in range(n):
        item = dataset[i]
        gt = item["gt"][None]
        name = ref_name(str(item.get("gt_path", f"val_{i:03d}")))
        if "lq" in item:
            lq = item["lq"][None]
        else:
            pipeline = pipeline or Pipeline.from_recipe(run.degradation, ctx.registries)
            out = degrade_once(gt, pipeline, run.scale, run.val.degradation_seed, i)
            lq, gt = out.lq, out.gt
        pairs.append((name, lq.cpu(), gt.cpu()))
    return pairs


class Validator:
    """``evaluate(net, device, iteration, out_dir) -> {metric: mean value}``; keeps its LQ/GT pairs in memory."""

    def __init__(self, run: Any, ctx: Any, base_dir: Path) -> None:
        self.run, self.ctx, self.vp = run, ctx, run.val
        self.metrics = build_metrics(self.vp.metrics, ctx)
        self.pairs = validation_pairs(run, ctx, base_dir)

    @torch.no_grad()
    def evaluate(self, net: torch.nn.Module, device: torch.device, iteration: int, out_dir: Path | None) -> dict[str, float]:
        """Score ``net`` (an eval-mode generator, RGB [0,1] NCHW) on every pair; save SR images to ``out_dir``."""
        def forward(x: torch.Tensor) -> torch.Tensor:
            return net(x.to(device)).float().cpu()

        tiler = Tiler(forward, self.run.scale, tile=self.vp.tile, overlap=self.vp.tile_overlap)
        sums = {m.name: 0.0 for m in self.metrics}
        for name, lq, gt in self.pairs:
            sr = from_tensor01(tiler(lq))
            hr = from_tensor01(gt)
            for m in self.metrics:
                sums[m.name] += float(m(sr, hr))
            if out_dir is not None and self.vp.save_img:
                write_image(out_dir / name / f"{name}_{iteration}.png", sr)
        return {k: v / max(1, len(self.pairs)) for k, v in sums.items()}

    def higher_is_better(self, name: str) -> bool:
        return next((bool(m.higher_is_better) for m in self.metrics if m.name == name), True)
