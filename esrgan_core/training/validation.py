"""Validation: SR of held-out images by the EMA generator, PSNR/SSIM (reference definitions), images.

Pairs come from ``datasets.val``: a paired dataset gives ``lq`` and ``gt``; an HR dataset's
images are degraded once by the run's degradation pipeline with a fixed seed per image (the same
LQ at every validation). Runs on the main process; images may be upscaled in tiles.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.images import from_tensor01, write_image
from esrgan_core.seeding import make_generator
from esrgan_core.upscaling.tiling import Tiler
from esrgan_core.values import ComponentSpec

log = logging.getLogger("esrgan.train")


def build_metrics(specs: tuple[ComponentSpec, ...], ctx: Any) -> list[Any]:
    """Metric objects from ``val.metrics`` (default: psnr and ssim with their default options)."""
    if not specs:
        reg = ctx.registries["metrics"]
        return [reg.get(n).factory(reg.get(n).params()) for n in ("psnr", "ssim")]
    return [ctx.build(s) for s in specs]


def degrade_once(gt: torch.Tensor, run: Any, ctx: Any, index: int, seed: int, pipeline: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lq, gt)`` of one HR image (1x3xHxW RGB [0,1]) cropped to a multiple of the scale and degraded
    with the generator seeded from ``(seed, index)``."""
    s = run.scale
    h, w = gt.shape[-2] - gt.shape[-2] % s, gt.shape[-1] - gt.shape[-1] % s
    gt = gt[..., :h, :w].float()
    pipeline = pipeline or Pipeline.from_recipe(run.degradation, ctx.registries)
    g = make_generator(seed, index)
    out = pipeline(gt, g, s)
    return out.lq, out.gt


class Validator:
    """``evaluate(net, device, iteration, out_dir) -> {metric: mean value}``; keeps its LQ/GT pairs in memory."""

    def __init__(self, run: Any, ctx: Any, base_dir: Path) -> None:
        self.run, self.ctx, self.vp = run, ctx, run.val
        spec = run.datasets.val
        self.metrics = build_metrics(self.vp.metrics, ctx)
        dataset = ctx.build(spec.dataset, base_dir=base_dir)
        n = len(dataset) if not spec.max_images else min(spec.max_images, len(dataset))
        pipeline = Pipeline.from_recipe(run.degradation, ctx.registries) if run.high_order_degradation else None
        self.pairs: list[tuple[str, torch.Tensor, torch.Tensor]] = []
        for i in range(n):
            item = dataset[i]
            gt = item["gt"][None]
            name = Path(str(item.get("gt_path", f"val_{i:03d}"))).stem.replace("skimage:", "")
            if "lq" in item:
                lq = item["lq"][None]
            else:
                lq, gt = degrade_once(gt, run, ctx, i, self.vp.degradation_seed, pipeline)
            self.pairs.append((name, lq.cpu(), gt.cpu()))

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
