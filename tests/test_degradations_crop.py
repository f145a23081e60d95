"""The one paired crop and the one reflect pad (esrgan_core.degradation.crop, esrgan_core.padding).

The paired crop is checked against Real-ESRGAN's ``paired_random_crop`` definition (LR patch
``gt_size // scale`` at (top, left); GT patch ``gt_size`` at ``scale`` x (top, left)); the pad
against OpenCV's BORDER_REFLECT_101.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from esrgan_core.degradation.crop import crop_pair, crop_pair_hwc, draw_offsets, pad_crop_hwc
from esrgan_core.errors import DataError
from esrgan_core.padding import reflect_pad, reflect_pad_hwc, reflect_pad_to


def _pair(n: int, lh: int, lw: int, scale: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, lh, lw, generator=g), torch.rand(n, 3, lh * scale, lw * scale, generator=g)


@pytest.mark.parametrize("scale,gt_size", [(4, 16), (2, 12), (1, 5)])
def test_crop_pair_is_realesrgan_paired_random_crop(scale, gt_size):
    lq, gt = _pair(5, 9, 11, scale)
    usm = gt.flip(-1)
    c_lq, (c_gt, c_usm), tops, lefts = crop_pair(lq, [gt, usm], gt_size, scale, torch.Generator().manual_seed(3))
    p = gt_size // scale
    assert c_lq.shape == (5, 3, p, p) and c_gt.shape == c_usm.shape == (5, 3, p * scale, p * scale)
    for i, (t, x) in enumerate(zip(tops, lefts)):
        assert 0 <= t <= 9 - p and 0 <= x <= 11 - p
        assert torch.equal(c_lq[i], lq[i, :, t:t + p, x:x + p])  # BasicSR: lq[top:top+lq_patch]
        gt_top, gt_left = t * scale, x * scale  # BasicSR: top_gt, left_gt = int(top * scale), int(left * scale)
        assert torch.equal(c_gt[i], gt[i, :, gt_top:gt_top + gt_size, gt_left:gt_left + gt_size])
        assert torch.equal(c_usm[i], usm[i, :, gt_top:gt_top + gt_size, gt_left:gt_left + gt_size])


def test_offsets_are_uniform_draws_from_the_generator_inclusive():
    g = torch.Generator().manual_seed(7)
    tops, lefts = draw_offsets(g, 400, 2, 0)
    want = torch.Generator().manual_seed(7)
    u_top = torch.rand(400, generator=want, dtype=torch.float64)
    assert tops == [int(u * 3) for u in u_top] and set(tops) == {0, 1, 2} and set(lefts) == {0}
    one_top, one_left = draw_offsets(torch.Generator().manual_seed(1), 4, 50, 50, per_batch=True)
    assert len(set(one_top)) == 1 and len(set(one_left)) == 1 and len(one_top) == 4


def test_crop_pair_refuses_what_paired_random_crop_refuses():
    lq, gt = _pair(1, 8, 8, 4)
    with pytest.raises(DataError, match="train: GT 32x31 is not 4 x LR 8x8"):
        crop_pair(lq, [gt[..., :31]], 16, 4, torch.Generator(), what="train")
    with pytest.raises(DataError, match="smaller than the patch 10"):
        crop_pair(lq, [gt], 40, 4, torch.Generator())


def test_numpy_crop_is_the_tensor_crop_of_a_batch_of_one():
    lq, gt = _pair(1, 13, 10, 2, seed=5)
    t_lq, (t_gt,), _, _ = crop_pair(lq, [gt], 8, 2, torch.Generator().manual_seed(11))
    hwc = lambda t: t[0].permute(1, 2, 0).numpy()  # noqa: E731
    n_gt, n_lq = crop_pair_hwc(hwc(gt), hwc(lq), 8, 2, torch.Generator().manual_seed(11))
    np.testing.assert_array_equal(n_lq, hwc(t_lq))
    np.testing.assert_array_equal(n_gt, hwc(t_gt))


@pytest.mark.parametrize("h,w", [(5, 7), (1, 3), (3, 1), (2, 2)])
@pytest.mark.parametrize("size", [6, 19])
def test_reflect_pad_hwc_is_opencv_reflect_101_at_any_size(h, w, size):
    img = np.arange(h * w * 3, dtype=np.float32).reshape(h, w, 3)
    got = reflect_pad_hwc(img, size, size)
    ph, pw = max(size - h, 0), max(size - w, 0)
    want = cv2.copyMakeBorder(img, 0, ph, 0, pw, cv2.BORDER_REFLECT_101).reshape(h + ph, w + pw, 3)
    np.testing.assert_array_equal(got, want)
    tensor = reflect_pad_to(torch.from_numpy(img).permute(2, 0, 1)[None], size, size)[0].permute(1, 2, 0)
    np.testing.assert_array_equal(tensor.numpy(), want)


def test_reflect_pad_all_sides_is_opencv_reflect_101():
    img = np.random.default_rng(0).random((4, 6), dtype=np.float32)
    for pad in (1, 3, 9):
        want = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
        np.testing.assert_array_equal(reflect_pad(torch.from_numpy(img)[None, None], pad)[0, 0].numpy(), want)


def test_pad_crop_pads_small_images_and_crops_large_ones_like_the_reference_dataset():
    small = np.random.default_rng(1).random((20, 30, 3), dtype=np.float32)
    crop, (top, left) = pad_crop_hwc(small, 40, torch.Generator().manual_seed(0))
    assert (top, left) == (0, 0)
    np.testing.assert_array_equal(crop, cv2.copyMakeBorder(small, 0, 20, 0, 10, cv2.BORDER_REFLECT_101))
    big = np.random.default_rng(2).random((50, 41, 3), dtype=np.float32)
    crops = {pad_crop_hwc(big, 40, torch.Generator().manual_seed(s))[1] for s in range(30)}
    assert all(0 <= t <= 10 and 0 <= x <= 1 for t, x in crops) and len(crops) > 5
    again, offset = pad_crop_hwc(big, 40, torch.Generator().manual_seed(4))
    top, left = offset
    np.testing.assert_array_equal(again, big[top:top + 40, left:left + 40])


def test_benchmark_paired_sets_cut_the_hr_under_the_centred_lr_crop(tmp_path):
    from types import SimpleNamespace

    from esrgan_core.images import read_rgb01, write_image
    from esrgan_plugins.benchmark.data import paired

    rng = np.random.default_rng(3)
    write_image(tmp_path / "hr" / "a.png", rng.random((42, 37, 3), dtype=np.float32))  # 2 and 1 px over 4 x LR
    write_image(tmp_path / "lr" / "ax4.png", rng.random((10, 9, 3), dtype=np.float32))
    entry = SimpleNamespace(hr=tmp_path / "hr", lr=tmp_path / "lr", max_images=0, max_size=16)
    (pair,) = paired(entry, 4, tmp_path, 0)
    lr, hr = read_rgb01(tmp_path / "lr" / "ax4.png"), read_rgb01(tmp_path / "hr" / "a.png")
    top, left = (10 - 4) // 2, (9 - 4) // 2  # the centred 4 x 4 LR window (max_size 16 / scale 4)
    np.testing.assert_array_equal(pair.lr, lr[top:top + 4, left:left + 4])
    np.testing.assert_array_equal(pair.hr, hr[4 * top:4 * top + 16, 4 * left:4 * left + 16])
