"""Stage ``usm``: unsharp masking of the HR image (Real-ESRGAN's USMSharp).

The source is always ``gt`` (RGB float [0,1] NCHW). ``targets`` says where the sharpened image
goes: ``lq`` (the image the rest of the pipeline degrades; both official models degrade the
sharpened GT) and/or ``gt_usm`` (kept beside the batch, e.g. for the preview). Whether training
*targets* the sharpened GT is not a stage's decision: the training-pair step decides it once
(``esrgan_core.training.pairs``), reusing this stage's ``gt_usm`` when it holds one.
"""

from __future__ import annotations

from typing import Literal

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation.checks import check_unique
from esrgan_core.degradation.filtering import usm_sharpen
from esrgan_core.errors import ParamError
from esrgan_core.schema import param

Target = Literal["gt_usm", "lq"]


@attrs.frozen
class UsmParams:
    radius: int = param(50, ge=1, help="Gaussian size (an even radius is made odd: 50 -> 51 taps)")
    weight: float = param(0.5, ge=0, help="amount of the residual added back")
    threshold: float = param(10.0, ge=0, help="residual threshold on the 0-255 scale for the mask")
    targets: tuple[Target, ...] = param(("gt_usm", "lq"), help="where the sharpened GT goes")
    separable: bool = param(True, help="filter by FFT on a CPU, two 1-D passes on CUDA (same result as 2-D to float rounding, much faster)")

    def validate(self) -> None:
        if not self.targets:
            raise ParamError("targets", "at least one target is required")
        check_unique("targets", self.targets)


class UsmStage:
    """Sharpen ``gt`` and store the result in the configured targets."""

    def __init__(self, params: UsmParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p = self.params
        sharp = usm_sharpen(batch.gt, p.radius, p.weight, p.threshold, separable=p.separable)
        for target in p.targets:
            setattr(batch, target, sharp)
        return batch
