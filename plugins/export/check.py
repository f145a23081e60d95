"""The post-export check: run the written file in its runtime on a real photo and compare with PyTorch.

The photo is a crop of scikit-image's astronaut (RGB float [0,1], NCHW), padded on the right/bottom
to the model's size multiple. The error is the largest absolute difference between the runtime's
output and the fp32 PyTorch output, divided by ``max(1, largest |PyTorch output|)`` (so it reads as
a fraction of the [0,1] image range for real models). Tolerances per precision are in
:data:`TOLERANCE`; a file that misses its tolerance is an export failure (the caller removes it).
"""

from __future__ import annotations

import attrs
import numpy as np
import torch
from torch import nn

from esrgan_core.padding import pad_to_multiple

TOLERANCE = {"fp32": 1e-3, "fp16": 3e-2}  # fp16: about 8/255 at the worst pixel
CHECK_SIZES = ((40, 56), (24, 32))  # two (height, width) crops: the dynamic axes must really work


@attrs.frozen
class CheckResult:
    """What the check found: worst relative error over the photo crops, the tolerance, the sizes."""

    runtime: str
    precision: str
    error: float
    tolerance: float
    sizes: tuple[tuple[int, int], ...]

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.error)) and self.error <= self.tolerance

    def line(self) -> str:
        sizes = ", ".join(f"{h}x{w}" for h, w in self.sizes)
        verdict = "passed" if self.passed else "FAILED"
        return (f"check {verdict}: {self.runtime} ({self.precision}) vs PyTorch fp32 on the astronaut photo at {sizes}: "
                f"max error {self.error:.2e} (tolerance {self.tolerance:.0e})")


def photo(height: int, width: int, multiple: int = 1) -> torch.Tensor:
    """1x3xHxW RGB float32 [0,1] crop of skimage's astronaut (face region), padded to ``multiple``."""
    import skimage.data

    a = skimage.data.astronaut().astype(np.float32) / 255.0
    crop = np.ascontiguousarray(a[60:60 + height, 180:180 + width].transpose(2, 0, 1))
    return pad_to_multiple(torch.from_numpy(crop)[None], multiple)


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    """``max |out - ref| / max(1, max |ref|)`` (inf when shapes differ or values are not finite)."""
    if out.shape != ref.shape:
        return float("inf")
    diff = (out.float() - ref.float()).abs().max()
    return float(diff / max(1.0, float(ref.abs().max())))


def check_runtime(runtime: nn.Module, reference: nn.Module, *, name: str, precision: str, multiple: int = 1) -> CheckResult:
    """Compare ``runtime`` (e.g. an ONNX or ncnn module) with ``reference`` (fp32 torch) on the photo crops."""
    worst, sizes = 0.0, []
    with torch.no_grad():
        for h, w in CHECK_SIZES:
            x = photo(h, w, multiple)
            sizes.append(tuple(x.shape[-2:]))
            err = relative_error(runtime(x), reference(x))
            worst = err if not np.isfinite(err) else max(worst, err)
    return CheckResult(name, precision, worst, TOLERANCE[precision], tuple(sizes))
