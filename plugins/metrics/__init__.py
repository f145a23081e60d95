"""Built-in image-quality metrics: psnr, ssim (BasicSR-exact), lpips, stlpips, fid; ``esrgan-run metrics``.

Per-image metrics are called as ``metric(sr, hr) -> float``; the set-level ``fid`` as
``metric.compute(sr_images, hr_images) -> float``. Images are HWC RGB, float [0,1] (or uint8),
rounded to 8-bit levels by the metric (see :mod:`esrgan_plugins.metrics.base`).
Heavy dependencies (lpips, pytorch-fid) are imported only when such a metric is built.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy
from esrgan_plugins.metrics.fid import Fid, FidParams
from esrgan_plugins.metrics.lpips_metric import Lpips, LpipsParams
from esrgan_plugins.metrics.psnr_ssim import Psnr, PsnrSsimParams, Ssim
from esrgan_plugins.metrics.stlpips_metric import StLpips, StLpipsParams


@hookimpl
def register_metrics(register) -> None:
    register("psnr", Psnr, params=PsnrSsimParams, help="PSNR in dB on 8-bit levels (BasicSR: crop_border, Y channel)")
    register("ssim", Ssim, params=PsnrSsimParams, help="MATLAB-compatible SSIM on 8-bit levels (BasicSR)")
    register("lpips", Lpips, params=LpipsParams, help="LPIPS distance (AlexNet/VGG backbone, see docs/weights.md)")
    register("stlpips", StLpips, params=StLpipsParams, help="shift-tolerant LPIPS (ST-LPIPS, alex/vgg; weights ship in esrgan[metrics])")
    register("fid", Fid, params=FidParams, help="FID of an image set (pytorch-fid's TF Inception; offline with esrgan[metrics])")


@hookimpl
def register_commands(register) -> None:
    register("metrics", lazy("esrgan_plugins.metrics.command:configure"), lazy("esrgan_plugins.metrics.command:handler"),
             help="score SR_DIR against HR_DIR (pairs by file stem): --metrics psnr,ssim,stlpips,fid [--crop-border N] [--y] [--json]")
