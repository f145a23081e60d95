"""paired_folder dataset: name matching, mismatch errors, paired crop + flips, meta_info."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from esrgan_core.errors import ConfigError, DataError
from esrgan_core.images import write_image
from esrgan_core.schema import from_dict
from esrgan_plugins.datasets import PairedFolderDataset, PairedFolderParams


def _write_pair(root, name, lq_name, seed, h=6, w=5, scale=4):
    lq = np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)
    lq = np.round(lq * 255) / 255
    gt = np.repeat(np.repeat(lq, scale, axis=0), scale, axis=1)  # nearest upscale: crops must line up
    write_image(root / "gt" / name, gt)
    write_image(root / "lq" / lq_name, lq)


def _params(root, **kw):
    return PairedFolderParams(dataroot_gt=str(root / "gt"), dataroot_lq=str(root / "lq"), **kw)


def test_pairs_matched_by_name_and_cropped_together(tmp_path):
    for i, name in enumerate(["0001", "0002", "0003"]):
        _write_pair(tmp_path, f"{name}.png", f"{name}x4.png", seed=i)
    ds = PairedFolderDataset(_params(tmp_path, filename_tmpl="{}x4", gt_size=8, scale=4, use_rot=True, seed=2))
    assert len(ds) == 3
    for epoch in range(4):
        ds.set_epoch(epoch)
        for i in range(3):
            item = ds[i]
            assert item["gt"].shape == (3, 8, 8) and item["lq"].shape == (3, 2, 2)
            assert item["lq_path"].endswith(item["gt_path"].split("/")[-1].replace(".png", "x4.png"))
            up = item["lq"].repeat_interleave(4, dim=1).repeat_interleave(4, dim=2)
            torch.testing.assert_close(item["gt"], up, rtol=0, atol=1e-6)


def test_whole_images_without_gt_size(tmp_path):
    _write_pair(tmp_path, "a.png", "a.png", seed=3, h=3, w=4, scale=2)
    item = PairedFolderDataset(_params(tmp_path, scale=2, use_hflip=False))[0]
    assert item["gt"].shape == (3, 6, 8) and item["lq"].shape == (3, 3, 4)


def test_missing_partner_is_named(tmp_path):
    _write_pair(tmp_path, "a.png", "a.png", seed=0)
    write_image(tmp_path / "gt" / "lonely.png", np.zeros((24, 20, 3)))
    with pytest.raises(DataError, match="lonely.png"):
        PairedFolderDataset(_params(tmp_path))
    (tmp_path / "gt" / "lonely.png").unlink()
    write_image(tmp_path / "lq" / "orphan.png", np.zeros((6, 5, 3)))
    with pytest.raises(DataError, match="orphan.png"):
        PairedFolderDataset(_params(tmp_path))


def test_size_mismatch_names_both_files(tmp_path):
    _write_pair(tmp_path, "a.png", "a.png", seed=0, scale=2)
    with pytest.raises(DataError, match="a.png.*not scale 4"):
        PairedFolderDataset(_params(tmp_path, scale=4))[0]


def test_meta_info_pairs(tmp_path):
    _write_pair(tmp_path, "x.png", "small_x.png", seed=0)
    _write_pair(tmp_path, "y.png", "y.png", seed=1)
    meta = tmp_path / "meta.txt"
    meta.write_text("y.png\nx.png, small_x.png\n")
    ds = PairedFolderDataset(_params(tmp_path, meta_info=str(meta)))
    assert [(g.name, q.name) for g, q in ds.pairs] == [("y.png", "y.png"), ("x.png", "small_x.png")]
    meta.write_text("x.png, nope.png\n")
    with pytest.raises(DataError, match="nope.png"):
        PairedFolderDataset(_params(tmp_path, meta_info=str(meta)))


def test_gt_size_must_be_a_multiple_of_scale():
    with pytest.raises(ConfigError, match="gt_size"):
        from_dict(PairedFolderParams, {"dataroot_gt": "a", "dataroot_lq": "b", "gt_size": 10, "scale": 4})
