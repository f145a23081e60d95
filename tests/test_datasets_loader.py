"""skimage_photos dataset, the seeded DataLoader, and registration through the plugin host."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from esrgan_core.errors import ConfigError
from esrgan_core.images import write_image
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_plugins.datasets import (
    PHOTOS,
    HRFolderDataset,
    HRFolderParams,
    SkimagePhotosDataset,
    SkimagePhotosParams,
    make_dataloader,
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


def _batches(loader, epochs=2):
    return [[b["gt"].clone() for b in loader] for _ in range(epochs)]


def _folder(tmp_path):
    for i in range(6):
        write_image(tmp_path / f"{i}.png", np.random.default_rng(i).random((20, 24, 3)))
    return HRFolderParams(dataroot=str(tmp_path), patch_size=8, use_rot=True)


def test_two_worker_loader_is_deterministic_and_matches_single_process(tmp_path):
    params = _folder(tmp_path)
    runs = []
    for workers in (2, 2, 0):
        loader = make_dataloader(HRFolderDataset(params), batch_size=2, num_workers=workers, seed=7)
        runs.append(_batches(loader))
    for run in runs[1:]:
        for ep_a, ep_b in zip(runs[0], run):
            assert len(ep_a) == 3
            for a, b in zip(ep_a, ep_b):
                torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not all(torch.equal(a, b) for a, b in zip(*runs[0]))  # epochs differ


def test_loader_seed_drives_items_and_set_epoch_resumes(tmp_path):
    params = _folder(tmp_path)
    first = _batches(make_dataloader(HRFolderDataset(params), batch_size=3, seed=1))
    other = _batches(make_dataloader(HRFolderDataset(params), batch_size=3, seed=2))
    assert not all(torch.equal(a, b) for a, b in zip(first[0], other[0]))
    loader = make_dataloader(HRFolderDataset(params), batch_size=3, seed=1)
    loader.set_epoch(1)
    resumed = [b["gt"] for b in loader]
    for a, b in zip(first[1], resumed):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_unshuffled_loader_keeps_order_and_partial_batch(tmp_path):
    params = _folder(tmp_path)
    loader = make_dataloader(HRFolderDataset(params), batch_size=4, seed=0, shuffle=False, drop_last=False)
    paths = [p for b in loader for p in b["gt_path"]]
    assert [p.split("/")[-1] for p in paths] == [f"{i}.png" for i in range(6)]


def test_datasets_registered_and_relative_paths_use_base_dir(tmp_path):
    write_image(tmp_path / "hr" / "a.png", np.zeros((5, 5, 3)))
    reg = load_plugins().registries["datasets"]
    assert {"hr_folder", "paired_folder", "skimage_photos"} <= set(reg.names())
    entry = reg.get("hr_folder")
    ds = entry.factory(from_dict(entry.params, {"dataroot": "hr", "patch_size": 4}), base_dir=tmp_path)
    assert len(ds) == 1 and ds[0]["gt"].shape == (3, 4, 4)
