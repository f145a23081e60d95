"""StageContext: what a trainer gets, without the task's RunContext (registries, layout, seeds)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from esrgan_core.errors import PluginError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.plugins import load_plugins
from esrgan_core.runlayout import StageLayout
from esrgan_core.schema import from_value
from esrgan_core.seeding import make_generator, mix_seed
from esrgan_core.trainer_api import SEED_NETWORK_G, StageContext
from esrgan_core.training.accel import make_accelerator
from esrgan_core.values import ComponentSpec

NET = {"type": "srvgg_compact", "num_feat": 4, "num_conv": 1}


class _NoWeightLoss:
    inputs = ("sr", "gt")
    adversarial = False


class _Plugin:
    @staticmethod
    @hookimpl
    def register_losses(register):
        register("no_weight", _NoWeightLoss)


def _context(registries, index: int = 0, seed: int = 7, tmp: Path = Path(".")) -> StageContext:
    return StageContext(run=SimpleNamespace(seed=seed), index=index, layout=StageLayout(tmp / "stage"),
                        accelerator=make_accelerator("no"), registries=registries, base_dir=tmp)


def _spec(registries, data: dict, kind: str = "networks") -> ComponentSpec:
    return from_value(ComponentSpec, data, path="spec", registries=registries, kind=kind)


def test_seeds_follow_run_seed_and_stage_index(tmp_path):
    ctx = _context(load_plugins().registries, index=2, seed=11, tmp=tmp_path)
    assert ctx.seed == 11 and ctx.stage_dir == tmp_path / "stage"
    assert ctx.seed_for(3, 5) == mix_seed(11, 2, 3, 5)
    assert torch.equal(torch.rand(4, generator=ctx.generator(4)), torch.rand(4, generator=make_generator(11, 2, 4)))


def test_build_network_is_seeded_and_leaves_the_global_rng(tmp_path):
    regs = load_plugins().registries
    spec = _spec(regs, NET)
    before = torch.random.get_rng_state()
    a = _context(regs, tmp=tmp_path).build_network(spec, SEED_NETWORK_G)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = _context(regs, tmp=tmp_path).build_network(spec, SEED_NETWORK_G)
    other_stage = _context(regs, index=1, tmp=tmp_path).build_network(spec, SEED_NETWORK_G)
    wa, wb, wo = (next(n.parameters()) for n in (a, b, other_stage))
    assert torch.equal(wa, wb) and not torch.equal(wa, wo)


def test_build_checks_the_contract_and_names_the_plugin(tmp_path):
    regs = load_plugins(extra_plugins=[("no_weight_plugin", _Plugin)]).registries
    ctx = _context(regs, tmp=tmp_path)
    assert ctx.build(_spec(regs, {"type": "l1"}, "losses")).weight == 1.0
    with pytest.raises(PluginError, match="no_weight_plugin") as info:
        ctx.build(_spec(regs, {"type": "no_weight"}, "losses"))
    assert "without weight" in str(info.value)
