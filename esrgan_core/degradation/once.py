"""Degrade one HR image once from a seed: the one rule behind the validation images, the
comparison after training, a benchmark's degraded test sets, the recipe preview and an export's
sample pairs, so that the same (image, pipeline, scale, seed, index) gives the same LR everywhere.

The image is cut to a multiple of ``scale`` at the bottom/right and degraded as a batch of one
with a CPU ``torch.Generator`` seeded from ``(seed, index)``
(:func:`esrgan_core.seeding.make_generator`). ``index`` says which image of a set this is (its
position; a benchmark passes a hash of the image's pixels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from esrgan_core.degradation.batch import DegradationBatch
from esrgan_core.seeding import make_generator

if TYPE_CHECKING:
    from esrgan_core.degradation.pipeline import Pipeline


def once_generator(seed: int, index: int) -> torch.Generator:
    """The generator one image is degraded with."""
    return make_generator(seed, index)


def degrade_once(hr: torch.Tensor, pipeline: Pipeline, scale: int, seed: int, index: int) -> DegradationBatch:
    """Degrade ``hr`` (1x3xHxW or 3xHxW RGB float [0,1]) by ``pipeline`` for ``scale``; returns the batch
    (``.lq`` and ``.gt`` 1x3xhxw, ``.record[0]`` what the stages drew)."""
    gt = hr[None] if hr.ndim == 3 else hr
    h, w = gt.shape[-2] - gt.shape[-2] % scale, gt.shape[-1] - gt.shape[-1] % scale
    with torch.no_grad():
        return pipeline(gt[..., :h, :w].float(), once_generator(seed, index), scale)
