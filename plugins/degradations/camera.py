"""Stage ``camera``: sensor noise and demosaicing in linear RAW, after Brooks et al. (CVPR 2019).

Per sample: unprocess the LQ to camera RAW (inverse tone curve, inverse gamma, sRGB->camera colour
matrix, inverse white-balance gains, RGGB mosaic), add shot + read noise (variance
``shot * x + read``), demosaic, and process back (gains, camera->sRGB, gamma, tone curve); see
:mod:`.camera_isp` for the formulas. With zero noise and identity colour (``ccm: identity``,
gains fixed to 1) the stage is the identity up to the demosaic error.

Draws per sample, in this order: apply (``prob``), 4 CCM mixing weights, rgb_gain (1/N(0.8, 0.1),
the paper's), red gain, blue gain, shot noise (log-uniform; uniform when the range starts at 0),
read-noise scatter N(0, 0.26) around the paper's line ``log read = 2.18 log shot + 1.20`` (or
log-uniform in ``read_noise`` when given), demosaic method; then one N(0, 1) map for the batch.
"""

from __future__ import annotations

import math
from typing import Literal

import attrs
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_range, check_unique
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.degradations import camera_isp as isp
from esrgan_plugins.degradations.stage_util import apply_to, rows_of

Demosaic = Literal["bilinear", "opencv_ea"]


@attrs.frozen
class CameraParams:
    """Options of the ``camera`` stage (defaults: the paper's distributions)."""

    name: str = param("", help="key for the drawn values in the record (default: camera)")
    prob: float = param(1.0, ge=0, le=1, help="probability that a sample goes through the camera model")
    shot_noise: tuple[float, float] = param((1e-4, 0.012), ge=0, help="shot-noise factor range (log-uniform)")
    read_noise: tuple[float, float] | None = param(None, ge=0, help="read-noise variance range (log-uniform); "
                                                                     "default: the paper's line from shot noise")
    ccm: Literal["random", "identity"] = param("random", help="random camera colour matrix, or none")
    red_gain: tuple[float, float] = param((1.9, 2.4), gt=0, help="white-balance red gain range")
    blue_gain: tuple[float, float] = param((1.5, 1.9), gt=0, help="white-balance blue gain range")
    rgb_gain: bool = param(True, help="draw the exposure gain 1/N(0.8, 0.1) (false: 1)")
    tone: bool = param(True, help="invert/apply the smoothstep tone curve")
    gamma: float = param(2.2, gt=0, help="display gamma inverted to reach linear RAW (1: none)")
    demosaic: tuple[Demosaic, ...] = param(("bilinear",), help="demosaicing methods to choose from")

    def validate(self) -> None:
        for key in ("shot_noise", "red_gain", "blue_gain"):
            check_range(key, getattr(self, key))
        if self.read_noise is not None:
            check_range("read_noise", self.read_noise)
        if not self.demosaic:
            raise ParamError("demosaic", "at least one method is required")
        check_unique("demosaic", self.demosaic)


def _log_uniform(gen: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    if lo <= 0:
        return S.uniform(gen, n, lo, hi)
    return torch.exp(S.uniform(gen, n, math.log(lo), math.log(hi)))


def draw_camera(p: CameraParams, gen: torch.Generator, n: int) -> dict[str, torch.Tensor]:
    """Per-sample camera parameters (float64, CPU) in the documented order."""
    on = S.bernoulli(gen, n, p.prob)
    weights = S.uniform(gen, 4 * n, 1e-8, 1.0).view(n, 4)
    normal = torch.randn(n, generator=gen, device=gen.device, dtype=torch.float64).cpu()
    rgb_gain = 1.0 / (0.8 + 0.1 * normal).clamp(min=0.1) if p.rgb_gain else torch.ones(n, dtype=torch.float64)
    red, blue = S.uniform(gen, n, *p.red_gain), S.uniform(gen, n, *p.blue_gain)
    shot = _log_uniform(gen, n, *p.shot_noise)
    scatter = torch.randn(n, generator=gen, device=gen.device, dtype=torch.float64).cpu() * 0.26
    if p.read_noise is not None:
        read = _log_uniform(gen, n, *p.read_noise)
    else:
        read = torch.where(shot > 0, torch.exp(2.18 * torch.log(shot.clamp(min=1e-30)) + 1.20 + scatter), torch.zeros_like(shot))
    method = S.choice(gen, n, [1.0 / len(p.demosaic)] * len(p.demosaic))
    ccm = isp.rgb2cam(weights.cpu()) if p.ccm == "random" else torch.eye(3, dtype=torch.float64).expand(n, 3, 3)
    return {"on": on, "ccm": ccm, "rgb_gain": rgb_gain.cpu(), "red": red.cpu(), "blue": blue.cpu(),
            "shot": shot.cpu(), "read": read.cpu(), "method": method.cpu()}


def run_camera(x: torch.Tensor, d: dict[str, torch.Tensor], noise: torch.Tensor, p: CameraParams) -> torch.Tensor:
    """Unprocess, noise (``noise``: N(0,1) (n,1,H,W)), demosaic and process RGB NCHW ``x`` (no randomness)."""
    y = isp.inverse_smoothstep(x) if p.tone else x.clamp(0, 1)
    lin = y.clamp(min=1e-8) ** p.gamma
    cam = isp.apply_ccm(lin, d["ccm"])
    gains = torch.stack([d["red"], torch.ones_like(d["red"]), d["blue"]], 1) * d["rgb_gain"].view(-1, 1)
    raw = isp.mosaic(isp.safe_invert_gains(cam, gains).clamp(0, 1))
    var = raw * d["shot"].to(raw).view(-1, 1, 1, 1) + d["read"].to(raw).view(-1, 1, 1, 1)
    raw = (raw + noise.to(raw) * var.clamp(min=0).sqrt()).clamp(0, 1)
    out = torch.empty_like(x)
    for m, name in enumerate(p.demosaic):
        idx = (d["method"] == m).nonzero().flatten().tolist()
        if idx:
            out[idx] = isp.DEMOSAIC[name](raw[idx])
    out = out * gains.to(out).view(-1, 3, 1, 1)
    rgb = isp.apply_ccm(out.clamp(0, 1), torch.linalg.inv(d["ccm"])).clamp(0, 1)
    rgb = rgb.clamp(min=1e-8) ** (1.0 / p.gamma)
    return isp.smoothstep(rgb) if p.tone else rgb


class CameraStage:
    """``stage(batch, generator) -> batch``: the unprocess/noise/demosaic/process camera model on ``batch.lq``."""

    def __init__(self, params: CameraParams) -> None:
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, x = self.params, batch.lq
        d = draw_camera(p, generator, len(batch))
        noise = S.randn_like(generator, (x.shape[0], 1, *x.shape[-2:]), x)

        def run(sub: torch.Tensor, idx: list[int]) -> torch.Tensor:
            return run_camera(sub, {k: v[idx] for k, v in d.items()}, noise[idx], p)

        batch.lq = apply_to(x, d["on"], run)
        drawn = [{"shot_noise": s, "read_noise": r, "red_gain": rg, "blue_gain": bg, "rgb_gain": g,
                  "demosaic": p.demosaic[m]} for s, r, rg, bg, g, m in
                 zip(d["shot"].tolist(), d["read"].tolist(), d["red"].tolist(), d["blue"].tolist(),
                     d["rgb_gain"].tolist(), d["method"].tolist())]
        batch.note(p.name or "camera", rows_of(d["on"], drawn))
        return batch
