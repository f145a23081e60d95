"""Statistics that compare a synthetic LR set with a real one (``preview --real``, ``fit-degradation``).

Per image (RGB float [0,1] NCHW patches, luma Y' = BT.601 on the 0-255 scale):

- ``noise``: Immerkaer's noise operator (CVIU 1996) ``M = [[1,-2,1],[-2,4,-2],[1,-2,1]]`` (a
  Laplacian difference that cancels smooth image content; for white noise of sigma its response
  has sigma 6 sigma), read robustly: ``sigma = 1.4826 median |Y * M| / 6`` (the median ignores the
  edges and texture that inflate Immerkaer's mean form), in 0-255 units;
- ``blockiness``: (1 + mean |horizontal and vertical luma steps| across the 8x8 block grid) over
  (1 + the mean step elsewhere), steps in 0-255 units (1: no block edges; JPEG/MPEG blocking raises
  it; the one-level offset keeps flat patches near 1);
- ``hf_energy``: the fraction of luma power (DC removed) above 1/4 cycle/pixel (blur lowers it,
  noise and ringing raise it);
- ``chroma_edges``: mean |gradient| of Cb and Cr over that of Y' (chroma subsampling and codec
  chroma bleeding lower it; colour noise raises it).

Set distances: ``stats`` = sum over the statistics of the 1-D Wasserstein distance between the two
sets' values, each divided by the real set's spread (its standard deviation, at least ``FLOOR``);
``kid`` = the Kernel Inception Distance (Binkowski et al., ICLR 2018): unbiased MMD^2 with the
kernel ``(x.y / d + 1)^3`` on Inception features, averaged over seeded subsets.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

NAMES = ("noise", "blockiness", "hf_energy", "chroma_edges")
FLOOR = {"noise": 0.25, "blockiness": 0.02, "hf_energy": 0.005, "chroma_edges": 0.02}
MAD_TO_SIGMA = 1.4826  # sigma / median |x| for a zero-mean Gaussian
_M = torch.tensor([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]], dtype=torch.float64)


def _ycc(x: torch.Tensor) -> torch.Tensor:
    r, g, b = (x.double() * 255).unbind(1)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return torch.stack([y, (b - y) * 0.564, (r - y) * 0.713], 1)


def noise_sigma(y: torch.Tensor) -> torch.Tensor:
    """(N, H, W) luma (0-255) -> (N,) robust noise estimates (median absolute response / 6, Gaussian-consistent)."""
    resp = F.conv2d(y.unsqueeze(1), _M.to(y).view(1, 1, 3, 3)).abs().flatten(1)
    return MAD_TO_SIGMA * resp.median(dim=1).values / 6


def blockiness(y: torch.Tensor, block: int = 8) -> torch.Tensor:
    """(N, H, W) luma -> (N,) mean step across block boundaries / mean step elsewhere."""
    out = []
    for d in ((y[..., :, 1:] - y[..., :, :-1]).abs(), (y[..., 1:, :] - y[..., :-1, :]).abs().transpose(-2, -1)):
        cols = torch.arange(d.shape[-1])
        edge = (cols % block) == block - 1
        out.append((d[..., edge].mean((-2, -1)) + 1.0) / (d[..., ~edge].mean((-2, -1)) + 1.0))
    return (out[0] + out[1]) / 2


def hf_energy(y: torch.Tensor, cutoff: float = 0.25) -> torch.Tensor:
    """(N, H, W) luma -> (N,) fraction of power above ``cutoff`` cycles/pixel (DC removed)."""
    h, w = y.shape[-2:]
    p = torch.fft.rfft2(y - y.mean((-2, -1), keepdim=True)).abs() ** 2
    fy = torch.fft.fftfreq(h, dtype=torch.float64).view(-1, 1)
    fx = torch.fft.rfftfreq(w, dtype=torch.float64).view(1, -1)
    high = (fy**2 + fx**2).sqrt() > cutoff
    return p[..., high].sum(-1) / p.sum((-2, -1)).clamp(min=1e-12)


def chroma_edges(ycc: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) Y'CbCr -> (N,) mean chroma gradient / mean luma gradient."""
    gx = (ycc[..., :, 1:] - ycc[..., :, :-1]).abs().mean((-2, -1))
    gy = (ycc[..., 1:, :] - ycc[..., :-1, :]).abs().mean((-2, -1))
    g = gx + gy
    return (g[:, 1] + g[:, 2]) / (2 * g[:, 0] + 1e-3)


def image_stats(x: torch.Tensor) -> dict[str, np.ndarray]:
    """Every statistic of NAMES for each RGB [0,1] NCHW patch (float64 numpy, one value per patch)."""
    ycc = _ycc(x.cpu())
    y = ycc[:, 0]
    vals = {"noise": noise_sigma(y), "blockiness": blockiness(y), "hf_energy": hf_energy(y), "chroma_edges": chroma_edges(ycc)}
    return {k: v.numpy() for k, v in vals.items()}


def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """1-D Wasserstein distance between two empirical distributions (scipy's definition)."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(a, b))


def stats_distance(syn: dict[str, np.ndarray], real: dict[str, np.ndarray]) -> tuple[float, dict[str, float]]:
    """Sum over statistics of W1(syn, real) / max(std(real), FLOOR); also each term."""
    terms = {k: wasserstein1(syn[k], real[k]) / max(float(np.std(real[k])), FLOOR[k]) for k in NAMES}
    return float(sum(terms.values())), terms


def kid(f1: np.ndarray, f2: np.ndarray, subsets: int = 10, subset_size: int = 100, seed: int = 0) -> float:
    """Kernel Inception Distance between (n, d) and (m, d) features (unbiased MMD^2, cubic polynomial kernel)."""
    n = min(len(f1), len(f2), subset_size)
    if n < 2:
        raise ValueError("KID needs at least 2 images per set")
    d = f1.shape[1]
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(subsets):
        x = f1[rng.choice(len(f1), n, replace=False)]
        y = f2[rng.choice(len(f2), n, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        total += ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (n * (n - 1)) - 2 * kxy.mean()
    return float(total / subsets)
