"""Pair augmentations (mixup, cutmix, resizemix, cutblur): lq/gt consistency and reproducibility.

Inputs are random images in which every pixel differs between samples, so the region an
augmentation changed can be read off the output and compared between lq and gt.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from esrgan_core.errors import ConfigError, DataError
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_plugins.augment import Cutblur, Cutmix, CutmixParams, Mixup, MixupParams, Resizemix, ResizemixParams
from esrgan_plugins.augment.base import beta

SCALE = 4


def _pair(n=4, h=8, w=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"lq": torch.rand(n, 3, h, w, generator=g), "gt": torch.rand(n, 3, h * SCALE, w * SCALE, generator=g)}


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _changed(a, b):
    """N x H x W mask of pixels where any channel differs."""
    return (a != b).any(dim=1)


def _box(mask):
    """(top, left, height, width) of the bounding box of a 2-D mask, asserting the mask fills it."""
    ys, xs = mask.nonzero(as_tuple=True)
    t, l_, b, r = int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1
    assert mask[t:b, l_:r].all() and mask.sum() == (b - t) * (r - l_), "the changed region is one rectangle"
    return t, l_, b - t, r - l_


def _upsampled(mask, s=SCALE):
    return mask.repeat_interleave(s, dim=-2).repeat_interleave(s, dim=-1)


ALL = [Mixup(MixupParams()), Cutmix(CutmixParams()), Resizemix(ResizemixParams()), Cutblur(CutmixParams())]


@pytest.mark.parametrize("aug", ALL, ids=lambda a: type(a).__name__)
def test_augmentation_is_reproducible_from_the_generator_and_leaves_inputs_alone(aug):
    pair = _pair()
    before = {k: v.clone() for k, v in pair.items()}
    a, b, c = aug(pair, _gen(3)), aug(pair, _gen(3)), aug(pair, _gen(4))
    for k in ("lq", "gt"):
        assert torch.equal(a[k], b[k]) and a[k].shape == pair[k].shape
        assert torch.equal(pair[k], before[k]), "inputs are not modified"
    assert not all(torch.equal(a[k], c[k]) for k in ("lq", "gt")), "another seed gives another augmentation"


@pytest.mark.parametrize("cls,params", [(Mixup, MixupParams(prob=0.0)), (Cutmix, CutmixParams(prob=0.0)),
                                        (Resizemix, ResizemixParams(prob=0.0)), (Cutblur, CutmixParams(prob=0.0))])
def test_prob_zero_returns_the_pair_unchanged(cls, params):
    pair = _pair()
    out = cls(params)(pair, _gen(0))
    assert all(torch.equal(out[k], pair[k]) for k in pair)


def test_cutmix_gt_box_is_scale_times_the_lr_box_from_the_same_partner():
    pair = _pair()
    for seed in range(5):
        out = Cutmix(CutmixParams(alpha=0.5))(pair, _gen(seed))
        lq_mask, gt_mask = _changed(out["lq"], pair["lq"]), _changed(out["gt"], pair["gt"])
        assert torch.equal(gt_mask, _upsampled(lq_mask))
        box = _box(lq_mask.any(0))
        t, x, h, w = box
        assert abs(h - 4) <= 1 and abs(w - 6) <= 1  # box sides are about alpha x the image (8 x 12)
        for i in range(4):
            partner = [j for j in range(4) if torch.equal(out["lq"][i, :, t:t + h, x:x + w], pair["lq"][j, :, t:t + h, x:x + w])]
            assert len(partner) == 1
            j = partner[0]
            s = SCALE
            assert torch.equal(out["gt"][i, :, t * s:(t + h) * s, x * s:(x + w) * s], pair["gt"][j, :, t * s:(t + h) * s, x * s:(x + w) * s])


def test_mixup_blends_lq_and_gt_with_the_same_weight_and_partner():
    pair = _pair()
    out = Mixup(MixupParams())(pair, _gen(1))
    weights = set()
    for i in range(4):
        best = None
        for j in range(4):
            if j == i:
                continue
            a, b = pair["lq"][i] - pair["lq"][j], out["lq"][i] - pair["lq"][j]
            v = float((a * b).sum() / (a * a).sum())
            res = max((out[k][i] - (v * pair[k][i] + (1 - v) * pair[k][j])).abs().max().item() for k in ("lq", "gt"))
            if best is None or res < best[0]:
                best = (res, v)
        if torch.allclose(out["lq"][i], pair["lq"][i]):
            continue  # paired with itself
        assert best[0] < 1e-5, "lq and gt are mixed with one weight and one partner"
        weights.add(round(best[1], 5))
    assert len(weights) == 1 and 0 < weights.pop() < 1


def test_resizemix_pastes_the_resized_partner_into_matching_boxes():
    pair = _pair()
    out = Resizemix(ResizemixParams(scope=(0.4, 0.6)))(pair, _gen(2))
    lq_mask, gt_mask = _changed(out["lq"], pair["lq"]), _changed(out["gt"], pair["gt"])
    t, x, h, w = _box(lq_mask.any(0))
    assert _box(gt_mask.any(0)) == (t * SCALE, x * SCALE, h * SCALE, w * SCALE)
    for i in range(4):
        for j in range(4):
            small = F.interpolate(pair["lq"][j:j + 1], size=(h, w), mode="bicubic", antialias=True).clamp(0, 1)
            if torch.allclose(out["lq"][i:i + 1, :, t:t + h, x:x + w], small):
                big = F.interpolate(pair["gt"][j:j + 1], size=(h * SCALE, w * SCALE), mode="bicubic", antialias=True).clamp(0, 1)
                assert torch.allclose(out["gt"][i:i + 1, :, t * SCALE:(t + h) * SCALE, x * SCALE:(x + w) * SCALE], big)
                break
        else:
            pytest.fail(f"sample {i}: the pasted box is no resized sample")


def test_cutblur_swaps_one_lr_box_between_lq_and_the_downscaled_gt_both_ways():
    pair = _pair()
    clean = F.interpolate(pair["gt"], size=(8, 12), mode="bicubic", antialias=True).clamp(0, 1)
    seen = set()
    for seed in range(12):
        out = Cutblur(CutmixParams(alpha=0.5))(pair, _gen(seed))
        assert torch.equal(out["gt"], pair["gt"]), "the target is unchanged"
        from_lq = (out["lq"] == pair["lq"]).all(1)
        from_clean = (out["lq"] == clean).all(1)
        assert (from_lq | from_clean).all(), "every pixel comes from lq or from the downscaled gt"
        inside_clean = _changed(out["lq"], pair["lq"]).any(0)
        if inside_clean.sum() <= inside_clean.numel() // 2:
            _box(inside_clean)  # HR content pasted into the LR image
            seen.add("clean inside")
        else:
            _box(~inside_clean)  # LR content pasted into the (downscaled) HR image
            seen.add("lq inside")
    assert seen == {"clean inside", "lq inside"}


def test_beta_draws_have_the_distributions_mean_and_variance():
    g = _gen(0)
    x = torch.tensor([beta(g, 2.0, 3.0) for _ in range(4000)])
    assert abs(x.mean().item() - 0.4) < 0.02  # a / (a + b)
    assert abs(x.var().item() - 0.04) < 0.006  # ab / ((a+b)^2 (a+b+1))


def test_a_pair_without_an_integer_scale_is_a_data_error():
    with pytest.raises(DataError, match="integer multiple"):
        Cutmix(CutmixParams())({"lq": torch.rand(2, 3, 8, 8), "gt": torch.rand(2, 3, 30, 32)}, _gen(0))


def test_augment_list_is_validated_through_the_registry():
    from esrgan_core.training.config import RunParams

    regs = load_plugins().registries
    base = {"name": "x", "stages": [{"type": "esrnet", "network_g": {"type": "srvgg_compact", "num_feat": 8, "num_conv": 1}}],
            "datasets": {"train": {"dataset": {"type": "skimage_photos"}}}, "gt_size": 32}
    run = from_dict(RunParams, {**base, "augment": [{"type": "cutmix", "prob": 0.3}, "mixup"]}, registries=regs)
    assert [a.type for a in run.augment] == ["cutmix", "mixup"] and run.augment[0].params.prob == 0.3
    with pytest.raises(ConfigError, match=r"augment\[0\].*cutmx.*did you mean 'cutmix'"):
        from_dict(RunParams, {**base, "augment": [{"type": "cutmx"}]}, registries=regs)
    with pytest.raises(ConfigError, match=r"augment\[0\]\.prob"):
        from_dict(RunParams, {**base, "augment": [{"type": "mixup", "prob": 2}]}, registries=regs)
