"""Pipeline plumbing: combinators, a nested plugin stage, the paired crop, the pair pool, preview."""

from __future__ import annotations

import json

import attrs
import pytest
import torch
import torch.nn.functional as F

from esrgan_core.cli import main
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.hookspecs import hookimpl
from esrgan_core.pairpool import PairPool
from esrgan_core.plugins import load_plugins
from esrgan_core.schema import param


@attrs.frozen
class _InvertParams:
    amount: float = param(1.0, ge=0, le=1)


class _Invert:
    def __init__(self, params: _InvertParams) -> None:
        self.amount = params.amount

    def __call__(self, batch, generator):
        batch.lq = (1 - self.amount) * batch.lq + self.amount * (1 - batch.lq)
        batch.note("invert", {"done": True})
        return batch


class _ThirdParty:
    @hookimpl
    def register_degradations(self, register):
        register("invert", _Invert, params=_InvertParams, help="test stage")


@pytest.fixture(scope="module")
def host():
    return load_plugins(extra_plugins=[("third_party_test", _ThirdParty())])


def test_third_party_stage_runs_nested_in_combinators(host):
    stages = [{"type": "one_of", "name": "pick", "choices": [[{"type": "invert"}], [{"type": "quantize"}]],
               "prob": [1.0, 0.0]},
              {"type": "random_order", "groups": [[{"type": "resize", "prob": [0, 0, 1], "to": "lr",
                                                    "modes": ["area"]}]]}]
    pipe = Pipeline.from_dicts(stages, host.registries, quantize=False)
    gt = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    out = pipe(gt, torch.Generator().manual_seed(1), 2)
    assert torch.allclose(out.lq, F.avg_pool2d(1 - gt, 2), atol=1e-6)
    assert all(r["pick"] == {"choice": 0} and r["invert"] == {"done": True} for r in out.record)


def test_per_sample_scales_make_a_ragged_batch_that_the_final_resize_evens_out(host):
    stages = [{"type": "resize", "name": "r1", "prob": [0.5, 0.5, 0], "range": [0.5, 1.5]},
              {"type": "blur", "sinc_prob": 0.5},
              {"type": "noise"},
              {"type": "resize", "name": "fin", "prob": [0, 0, 1], "to": "lr"}]
    out = Pipeline.from_dicts(stages, host.registries)(torch.rand(5, 3, 40, 40), torch.Generator().manual_seed(2), 4)
    assert len({tuple(r["r1"]["size"]) for r in out.record}) > 1
    assert out.lq.shape == (5, 3, 10, 10)


def test_random_crop_keeps_lq_and_gt_aligned(host):
    stages = [{"type": "resize", "prob": [0, 0, 1], "to": "lr", "modes": ["area"]},
              {"type": "random_crop", "gt_size": 16}]
    gt = torch.rand(3, 3, 40, 48, generator=torch.Generator().manual_seed(0))
    out = Pipeline.from_dicts(stages, host.registries, quantize=False)(gt, torch.Generator().manual_seed(4), 4)
    assert out.lq.shape == (3, 3, 4, 4) and out.gt.shape == (3, 3, 16, 16)
    assert torch.allclose(out.lq, F.avg_pool2d(out.gt, 4), atol=1e-6)
    assert len({(r["crop"]["top"], r["crop"]["left"]) for r in out.record}) > 1


def _pairs(seed: int, b: int = 4) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lq = torch.rand(b, 3, 2, 2, generator=g)
    return {"lq": lq, "gt": lq.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)}


def test_pair_pool_fills_then_swaps_random_slots_without_size_multiple():
    pool, gen = PairPool(10), torch.Generator().manual_seed(0)
    seen = []
    for it in range(3):  # 4 + 4 + 2 stored (the last 2 of batch 3 do not fit)
        batch = _pairs(it)
        out = pool.exchange(batch, gen)
        assert torch.equal(out["lq"], batch["lq"])
        seen.append(batch["lq"])
    assert pool.full
    stored = torch.cat(seen)[:10]
    out = pool.exchange(_pairs(9), gen)
    for row in out["lq"]:
        assert any(torch.equal(row, s) for s in stored)
    assert torch.equal(out["gt"], out["lq"].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3))


def test_pair_pool_state_dict_resumes_identically():
    a, gen = PairPool(6), torch.Generator().manual_seed(0)
    for it in range(3):
        a.exchange(_pairs(it, 3), gen)
    b = PairPool(6)
    b.load_state_dict(a.state_dict())
    ga, gb = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    for it in range(3, 6):
        oa, ob = a.exchange(_pairs(it, 3), ga), b.exchange(_pairs(it, 3), gb)
        assert torch.equal(oa["lq"], ob["lq"]) and torch.equal(oa["gt"], ob["gt"])


def test_preview_command_writes_grid_and_parameters(tmp_path):
    code = main(["preview", "--recipe", "realesrgan_x2plus", "-n", "2", "--crop", "48", "-o", str(tmp_path)])
    assert code == 0
    doc = json.loads((tmp_path / "preview.json").read_text())
    assert doc["scale"] == 2 and doc["lr_size"] == [24, 24] and len(doc["samples"]) == 2
    assert "blur1" in doc["samples"][0]["record"] and "noise2" in doc["samples"][1]["record"]
    from esrgan_core.images import read_rgb01

    assert read_rgb01(tmp_path / "preview.png").shape == (48 * 2 + 8, 48 * 2 + 8, 3)


def test_preview_task_from_config(tmp_path):
    from esrgan_core.config import build_config
    from esrgan_core.context import run_config

    cfg, host = build_config({"task": "preview", "n": 1, "crop": 40, "output": str(tmp_path),
                              "stages": [{"type": "blur"}, {"type": "resize", "prob": [0, 0, 1], "to": "lr"}]})
    assert run_config(cfg, host) == 0
    assert (tmp_path / "preview.png").is_file()
