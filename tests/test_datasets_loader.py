"""skimage_photos dataset, the seeded training DataLoader, and registration through the plugin host."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from esrgan_core.errors import ConfigError
from esrgan_core.images import write_image
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_core.training.data import make_train_loader
from esrgan_plugins.datasets import (
    PHOTOS,
    HRFolderDataset,
    HRFolderParams,
    SkimagePhotosDataset,
    SkimagePhotosParams,
)


@pytest.fixture(scope="module")
def photos():
    return SkimagePhotosDataset(SkimagePhotosParams(patch_size=32, seed=0))


def test_skimage_dataset_has_the_eight_photos(photos):
    assert len(PHOTOS) == 8 and photos.names == PHOTOS
    assert [photos[i]["gt_path"] for i in range(8)] == [f"skimage:{n}" for n in PHOTOS]
    for i in range(8):
        gt = photos[i]["gt"]
        assert gt.shape == (3, 32, 32) and gt.dtype == torch.float32
        assert 0 <= gt.min() and gt.max() <= 1
        assert photos.photos[i].ndim == 3 and photos.photos[i].shape[2] == 3


def test_exclude_only_and_repeat():
    ds = SkimagePhotosDataset(SkimagePhotosParams(exclude=("astronaut",), repeat=2, patch_size=16))
    assert len(ds) == 14 and "astronaut" not in ds.names
    assert "skimage:astronaut" not in {ds[i]["gt_path"] for i in range(len(ds))}
    only = SkimagePhotosDataset(SkimagePhotosParams(only=("chelsea",), patch_size=400))
    assert only.names == ("chelsea",) and only[0]["gt"].shape == (3, 400, 400)  # chelsea is 300x451: padded
    with pytest.raises(ConfigError, match="only"):
        from_dict(SkimagePhotosParams, {"only": ["lena"]})
    with pytest.raises(ConfigError, match="exclude"):
        from_dict(SkimagePhotosParams, {"exclude": list(PHOTOS)})


def _batches(dataset, *, seed, workers=0, batch_size=2, start=0, n=6):
    """``n`` micro-batches of the training loader (endless, epoch after epoch), from micro-batch ``start``."""
    loader = make_train_loader(dataset, batch_size, workers, seed=seed, rank=0, world=1, start=start)
    it = iter(loader)
    return [next(it)["gt"].clone() for _ in range(n)]


def _folder(tmp_path):
    for i in range(6):
        write_image(tmp_path / f"{i}.png", np.random.default_rng(i).random((20, 24, 3)))
    return HRFolderParams(dataroot=str(tmp_path), patch_size=8, use_rot=True)


def test_two_worker_loader_is_deterministic_and_matches_single_process(tmp_path):
    params = _folder(tmp_path)
    runs = [_batches(HRFolderDataset(params), seed=7, workers=w) for w in (2, 2, 0)]
    for run in runs[1:]:
        assert len(run) == 6  # two epochs of 3 batches
        for a, b in zip(runs[0], run):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not all(torch.equal(a, b) for a, b in zip(runs[0][:3], runs[0][3:]))  # epochs differ


def test_loader_seed_drives_items_and_start_resumes(tmp_path):
    params = _folder(tmp_path)
    first = _batches(HRFolderDataset(params), seed=1, batch_size=3, n=4)
    other = _batches(HRFolderDataset(params), seed=2, batch_size=3, n=4)
    assert not all(torch.equal(a, b) for a, b in zip(first[:2], other[:2]))
    resumed = _batches(HRFolderDataset(params), seed=1, batch_size=3, start=2, n=2)  # epoch 1, as a resumed run
    for a, b in zip(first[2:], resumed):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_datasets_registered_and_relative_paths_use_base_dir(tmp_path):
    write_image(tmp_path / "hr" / "a.png", np.zeros((5, 5, 3)))
    reg = load_plugins().registries["datasets"]
    assert {"hr_folder", "paired_folder", "skimage_photos"} <= set(reg.names())
    entry = reg.get("hr_folder")
    ds = entry.factory(from_dict(entry.params, {"dataroot": "hr", "patch_size": 4}), base_dir=tmp_path)
    assert len(ds) == 1 and ds[0]["gt"].shape == (3, 4, 4)
