"""One "degrade an HR image once from a seed" (esrgan_core.degradation.once.degrade_once): validation,
the comparison after training, a benchmark's degraded sets, the preview and an export's samples all
give the LQ that degrade_once gives for the same (image, pipeline, scale, seed, index)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.degradation.once import degrade_once
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.images import from_tensor01, read_rgb01, to_tensor01, write_image
from esrgan_core.schema import from_dict
from esrgan_core.seeding import make_generator
from esrgan_core.training.compare import compare_pairs
from esrgan_core.training.run import resolved_config
from esrgan_core.training.validation import validation_pairs
from esrgan_plugins.benchmark.data import degrade_cached, image_index, pixel_digest
from esrgan_plugins.degradations.preview import PreviewParams, degrade_samples
from esrgan_plugins.export.samples import validation_pairs as export_pairs
from tests.train_support import context, tiny_config

SEED, SIZE = 77, 48


@pytest.fixture()
def setup(tmp_path: Path):
    """A run validating on (and comparing) one 48x48 HR file, its degradation pipeline, the file's pixels."""
    folder = tmp_path / "hr"
    write_image(folder / "cat.png", skimage.data.chelsea()[100:100 + SIZE, 150:150 + SIZE].astype(np.float32) / 255.0)
    data = tiny_config(tmp_path / "experiments", stages="esrnet")
    data["datasets"]["val"] = {"dataset": {"type": "hr_folder", "dataroot": str(folder), "patch_size": None,
                                           "use_hflip": False}}
    data["val"] = {"degradation_seed": SEED}
    data["compare"] = {"images": [str(folder / "cat.png")], "seed": SEED}
    ctx = context(data)
    pipeline = Pipeline.from_recipe(ctx.config.params.degradation, ctx.registries)
    return ctx, pipeline, read_rgb01(folder / "cat.png"), tmp_path


def test_degrade_once_draws_from_the_generator_of_seed_and_index(setup):
    _, pipeline, hr, _ = setup
    once = degrade_once(to_tensor01(hr), pipeline, 4, SEED, 3)
    direct = pipeline(to_tensor01(hr), make_generator(SEED, 3), 4)
    assert torch.equal(once.lq, direct.lq) and torch.equal(once.gt, direct.gt) and once.lq.shape == (1, 3, 12, 12)
    assert not torch.equal(once.lq, degrade_once(to_tensor01(hr), pipeline, 4, SEED, 4).lq)
    odd = degrade_once(to_tensor01(np.pad(hr, ((0, 3), (0, 2), (0, 0)))), pipeline, 4, SEED, 3)
    assert torch.equal(odd.lq, once.lq) and torch.equal(odd.gt, once.gt)  # cut to a multiple of the scale first


def test_validation_compare_preview_export_give_the_same_lq(setup):
    ctx, pipeline, hr, tmp_path = setup
    run = ctx.config.params
    want = degrade_once(to_tensor01(hr), pipeline, run.scale, SEED, 0)

    (name, val_lq, val_gt), = validation_pairs(run, ctx, tmp_path)
    assert name == "cat" and torch.equal(val_lq, want.lq) and torch.equal(val_gt, want.gt)

    (_, cmp_lq, cmp_gt), = compare_pairs(run, ctx)
    assert torch.equal(cmp_lq, want.lq) and torch.equal(cmp_gt, want.gt)

    params = from_dict(PreviewParams, {"images": [str(tmp_path / "hr" / "cat.png")], "n": 1, "crop": SIZE, "seed": SEED},
                       registries=ctx.registries)
    pv_lq, pv_gt, samples = degrade_samples(pipeline, run.scale, params)
    assert samples[0]["crop"] == [0, 0] and samples[0]["record"] == want.record[0]
    assert torch.equal(pv_lq, want.lq) and torch.equal(pv_gt, want.gt)

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yml").write_text(resolved_config(run), encoding="utf-8")
    (exp_name, exp_lq), = export_pairs(run_dir)
    assert exp_name == "cat" and torch.equal(exp_lq, want.lq)


def test_benchmark_degrades_with_the_image_hash_as_index_and_caches_it(setup):
    _, pipeline, hr, tmp_path = setup
    lr, cached = degrade_cached(hr, pipeline, [], SEED, 4, tmp_path / "cache")
    want = from_tensor01(degrade_once(to_tensor01(hr), pipeline, 4, SEED, image_index(pixel_digest(hr))).lq)
    assert not cached
    np.testing.assert_array_equal(np.round(lr * 255), np.round(want * 255))
    again, cached = degrade_cached(hr, pipeline, [], SEED, 4, tmp_path / "cache")
    assert cached and np.array_equal(again, lr)
