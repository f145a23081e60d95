"""The ``jpeg`` stage on real DegradationBatch objects, built through the plugin registry."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import from_dict
from esrgan_plugins.degradations.jpeg import JpegParams, JpegStage
from esrgan_plugins.degradations.jpeg_codec import codec_jpeg
from esrgan_plugins.degradations.jpeg_diff import diff_jpeg


def _gt(n: int = 4, size: int = 48) -> torch.Tensor:
    """n crops of a photo, RGB float32 [0,1] NCHW."""
    a = skimage.data.astronaut().astype(np.float32) / 255.0
    crops = [a[40 * i : 40 * i + size, 30 * i : 30 * i + size] for i in range(n)]
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).contiguous()


def _stage(**cfg) -> JpegStage:
    return JpegStage(from_dict(JpegParams, cfg))


def test_registered_stage_compresses_each_sample_at_its_recorded_quality() -> None:
    host = load_plugins()
    entry = host.registries["degradations"].get("jpeg")
    stage = entry.factory(from_dict(entry.params, {"quality": [30, 95]}))
    batch = DegradationBatch.from_gt(_gt(), scale=4)
    out = stage(batch, torch.Generator().manual_seed(7))
    qs = [rec["jpeg"]["quality"] for rec in out.record]
    assert all(30 <= q <= 95 for q in qs) and len(set(qs)) == 4  # continuous, per sample
    expected = diff_jpeg(_gt(), torch.tensor(qs, dtype=torch.float32))
    torch.testing.assert_close(out.lq, expected, rtol=0, atol=0)


def test_same_seed_same_draws_and_other_seed_differs() -> None:
    stage = _stage(quality=[10, 90])
    runs = [stage(DegradationBatch.from_gt(_gt(), 4), torch.Generator().manual_seed(s)) for s in (3, 3, 4)]
    q = [[r["jpeg"]["quality"] for r in b.record] for b in runs]
    assert q[0] == q[1] and q[0] != q[2]
    assert torch.equal(runs[0].lq, runs[1].lq)


def test_prob_zero_leaves_lq_untouched_and_prob_half_mixes() -> None:
    gt = _gt(6)
    out = _stage(prob=0.0)(DegradationBatch.from_gt(gt, 4), torch.Generator().manual_seed(0))
    assert torch.equal(out.lq, gt)
    assert all(rec["jpeg"] == {"applied": False} for rec in out.record)
    out = _stage(prob=0.5)(DegradationBatch.from_gt(gt, 4), torch.Generator().manual_seed(1))
    applied = ["quality" in rec["jpeg"] for rec in out.record]
    assert any(applied) and not all(applied)
    for i, rec in enumerate(out.record):
        if applied[i]:
            expected = diff_jpeg(gt[i : i + 1], torch.tensor([rec["jpeg"]["quality"]], dtype=torch.float32))
            torch.testing.assert_close(out.lq[i : i + 1], expected, rtol=0, atol=1e-6)
        else:
            assert torch.equal(out.lq[i], gt[i])


def test_codec_backend_uses_integer_qualities_and_libjpeg() -> None:
    gt = _gt(3)
    out = _stage(backend="codec", quality=[20, 80])(DegradationBatch.from_gt(gt, 4), torch.Generator().manual_seed(2))
    qs = [rec["jpeg"]["quality"] for rec in out.record]
    assert all(isinstance(q, int) and 20 <= q <= 80 for q in qs)
    assert torch.equal(out.lq, codec_jpeg(gt, qs))


def test_input_is_clamped_before_compression() -> None:
    gt = _gt(2)
    over = gt * 1.6 - 0.3  # values outside [0, 1]
    out = _stage(quality=[50, 50])(DegradationBatch.from_gt(over, 4), torch.Generator().manual_seed(0))
    torch.testing.assert_close(out.lq, diff_jpeg(over.clamp(0, 1), torch.tensor([50.0, 50.0])), rtol=0, atol=0)


def test_differentiable_stage_passes_gradients() -> None:
    lq = _gt(2).requires_grad_(True)
    batch = DegradationBatch.from_gt(lq, 4)
    out = _stage(differentiable=True)(batch, torch.Generator().manual_seed(0))
    out.lq.mean().backward()
    assert lq.grad is not None and float(lq.grad.abs().sum()) > 0


@pytest.mark.parametrize("name", ["jpeg2"])
def test_record_key_follows_name(name: str) -> None:
    out = _stage(name=name)(DegradationBatch.from_gt(_gt(2), 4), torch.Generator().manual_seed(0))
    assert all(name in rec for rec in out.record)
