"""hr_folder dataset: decoding, skipping bad files, padding/cropping, flips, meta_info, seeds."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from esrgan_core.errors import ConfigError, DataError
from esrgan_core.images import write_image
from esrgan_core.schema import from_dict
from esrgan_plugins.datasets import HRFolderDataset, HRFolderParams
from esrgan_plugins.datasets.transforms import crop_pad_augment, item_generator


def _img(h, w, c=3, seed=0):
    return np.random.default_rng(seed).random((h, w, c)).astype(np.float32)


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t.numpy().transpose(1, 2, 0)


def _whole(root, **kw):
    return HRFolderDataset(HRFolderParams(dataroot=str(root), patch_size=None, use_hflip=False, **kw))


def test_16bit_gray_rgba_and_jpeg_load_as_rgb_float01(tmp_path):
    rgb16 = _img(6, 7, seed=1)
    gray = _img(5, 4, 1, seed=2)
    rgba = _img(4, 4, 4, seed=3)
    write_image(tmp_path / "a16.png", rgb16, bit_depth=16)
    write_image(tmp_path / "b_gray.png", gray)
    write_image(tmp_path / "c_rgba.png", rgba)
    write_image(tmp_path / "sub" / "d.jpg", _img(8, 8, seed=4))
    ds = _whole(tmp_path)
    items = {p.split("/")[-1]: it for p, it in ((ds[i]["gt_path"], ds[i]) for i in range(len(ds)))}
    assert sorted(items) == ["a16.png", "b_gray.png", "c_rgba.png", "d.jpg"]  # recursive
    for it in items.values():
        assert it["gt"].dtype == torch.float32 and it["gt"].shape[0] == 3
        assert 0.0 <= it["gt"].min() and it["gt"].max() <= 1.0
    np.testing.assert_allclose(_hwc(items["a16.png"]["gt"]), rgb16, atol=0.6 / 65535)
    g = _hwc(items["b_gray.png"]["gt"])
    np.testing.assert_allclose(g, np.repeat(np.round(gray * 255) / 255, 3, axis=2), atol=1e-6)
    q = np.round(rgba * 255) / 255
    np.testing.assert_allclose(_hwc(items["c_rgba.png"]["gt"]), q[..., :3], atol=1e-6)
    white = _whole(tmp_path, alpha="white")[2]["gt"]
    np.testing.assert_allclose(_hwc(white), q[..., :3] * q[..., 3:] + 1 - q[..., 3:], atol=1e-6)


def _folder_with_bad_files(root):
    write_image(root / "good1.png", _img(8, 8, seed=5))
    write_image(root / "good2.png", _img(8, 8, seed=6))
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    (root / "text.jpg").write_text("not an image at all")
    (root / "notes.txt").write_text("readme")


def test_eager_check_skips_bad_files_with_warnings_and_counts_them(tmp_path, caplog):
    _folder_with_bad_files(tmp_path)
    with caplog.at_level(logging.WARNING, logger="esrgan.datasets"):
        ds = HRFolderDataset(HRFolderParams(dataroot=str(tmp_path), check="eager", patch_size=4))
    assert ds.skipped == 2 and len(ds) == 2
    assert sorted(p.name for p in ds.paths) == ["good1.png", "good2.png"]
    text = caplog.text
    assert "corrupt.png" in text and "text.jpg" in text and "notes.txt" in text


def test_lazy_check_retries_another_image_and_counts_bad_ones(tmp_path, caplog):
    _folder_with_bad_files(tmp_path)
    ds = HRFolderDataset(HRFolderParams(dataroot=str(tmp_path), patch_size=4, seed=1))
    assert len(ds) == 4 and ds.skipped == 0
    with caplog.at_level(logging.WARNING, logger="esrgan.datasets"):
        paths = [ds[i]["gt_path"] for i in range(len(ds))]
    assert all(p.endswith(("good1.png", "good2.png")) for p in paths)
    assert ds.skipped == 2
    assert "corrupt.png" in caplog.text and "text.jpg" in caplog.text


def test_no_usable_image_is_a_data_error_naming_the_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="empty"):
        HRFolderDataset(HRFolderParams(dataroot=str(empty)))
    with pytest.raises(DataError, match="missing"):
        HRFolderDataset(HRFolderParams(dataroot=str(tmp_path / "missing")))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.png").write_text("nope")
    with pytest.raises(DataError, match="bad"):
        HRFolderDataset(HRFolderParams(dataroot=str(bad), check="eager"))
    lazy = HRFolderDataset(HRFolderParams(dataroot=str(bad)))
    with pytest.raises(DataError, match="no usable image"):
        lazy[0]


@pytest.mark.parametrize("h,w", [(5, 9), (12, 3), (1, 1), (2, 16), (16, 7)])
def test_small_images_are_padded_bottom_right_with_reflect_101(h, w):
    img = _img(h, w, seed=h * 100 + w)
    out = crop_pad_augment(img, 16, False, False, item_generator(0, 0, 0))
    np.testing.assert_array_equal(out, np.pad(img, ((0, 16 - h), (0, 16 - w), (0, 0)), mode="reflect"))


def test_patch_from_dataset_is_padded_then_cropped(tmp_path):
    img = _img(10, 40, seed=9)
    write_image(tmp_path / "wide.png", img, bit_depth=16)
    ds = HRFolderDataset(HRFolderParams(dataroot=str(tmp_path), patch_size=16, use_hflip=False, seed=0))
    padded = np.pad(img, ((0, 6), (0, 0), (0, 0)), mode="reflect")
    lefts = set()
    for epoch in range(6):
        ds.set_epoch(epoch)
        patch = _hwc(ds[0]["gt"])
        assert patch.shape == (16, 16, 3)
        matches = [x for x in range(40 - 16 + 1) if np.allclose(padded[:, x : x + 16], patch, atol=1e-4)]
        assert len(matches) == 1
        lefts.add(matches[0])
    assert len(lefts) > 1  # the crop offset is random


def _variants(img):
    out = []
    for t in (img, img.transpose(1, 0, 2)):
        for v in (t, t[::-1]):
            out += [v, v[:, ::-1]]
    return out


@pytest.mark.parametrize("use_hflip,use_rot,allowed", [(False, False, 1), (True, False, 2), (True, True, 8)])
def test_flip_flags_limit_the_variants(use_hflip, use_rot, allowed):
    img = _img(4, 6, seed=11)
    seen = set()
    for i in range(64):
        out = crop_pad_augment(img, None, use_hflip, use_rot, item_generator(3, 0, i))
        match = [k for k, v in enumerate(_variants(img)) if v.shape == out.shape and np.array_equal(v, out)]
        assert match
        seen.add(match[0])
    allowed_set = {0, 1} if allowed == 2 else set(range(allowed))
    assert seen == allowed_set


def test_meta_info_lists_images_relative_to_dataroot(tmp_path):
    for name in ("a.png", "b.png", "c.png"):
        write_image(tmp_path / "hr" / name, _img(4, 4))
    meta = tmp_path / "meta.txt"
    meta.write_text("# comment\nc.png (4,4,3)\n\na.png 123\n")
    ds = HRFolderDataset(HRFolderParams(dataroot="hr", meta_info="meta.txt", patch_size=4), base_dir=tmp_path)
    assert [p.name for p in ds.paths] == ["c.png", "a.png"]
    meta.write_text("a.png\nzzz.png\n")
    with pytest.raises(DataError, match="zzz.png"):
        HRFolderDataset(HRFolderParams(dataroot=str(tmp_path / "hr"), meta_info=str(meta)))


def test_same_seed_same_crops_other_seed_or_epoch_differs(tmp_path):
    write_image(tmp_path / "x.png", _img(40, 40, seed=12))
    params = dict(dataroot=str(tmp_path), patch_size=8, use_rot=True)
    a = HRFolderDataset(HRFolderParams(seed=5, **params))[0]["gt"]
    b = HRFolderDataset(HRFolderParams(seed=5, **params))[0]["gt"]
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    others = [HRFolderDataset(HRFolderParams(seed=s, **params))[0]["gt"] for s in range(6, 10)]
    assert any(not torch.equal(a, o) for o in others)
    ds = HRFolderDataset(HRFolderParams(seed=5, **params))
    ds.set_epoch(1)
    assert not torch.equal(ds[0]["gt"], a)


def test_params_from_config_and_bounds():
    p = from_dict(HRFolderParams, {"dataroot": "x", "use_rot": True})
    assert (p.patch_size, p.use_hflip, p.use_rot, p.check, p.alpha) == (400, True, True, "lazy", "drop")
    with pytest.raises(ConfigError, match="dataroot"):
        from_dict(HRFolderParams, {})
    with pytest.raises(ConfigError, match="patch_size"):
        from_dict(HRFolderParams, {"dataroot": "x", "patch_size": 0})
