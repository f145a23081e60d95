"""Every part of a training state round-trips through its own state_dict/load_state_dict, and a state
written by one loop resumes another loop exactly (the in-process counterpart of tests/test_resume.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from esrgan_core.errors import DataError
from esrgan_core.pairpool import PairPool
from esrgan_core.training.accel import make_accelerator
from esrgan_core.training.counters import Counters
from esrgan_core.training.ema import EMA
from esrgan_core.training.stateio import TRAINING_FILE, TrainingState
from tests.train_support import batches, context, make_loop, tiny_config


def _equal(a, b) -> bool:
    """Deep equality of nested state dicts (tensors compared exactly)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a.cpu(), b.cpu())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b


def test_counters_round_trip() -> None:
    c = Counters(iteration=12, micro_step=25)
    c.record_best({"psnr": 21.5, "niqe": 4.0}, lambda name: name == "psnr")
    other = Counters()
    other.load_state_dict(c.state_dict())
    assert other == c and other.best == {"psnr": {"value": 21.5, "iter": 12}, "niqe": {"value": 4.0, "iter": 12}}


def test_pair_pool_round_trip_gives_the_same_next_exchange() -> None:
    g = torch.Generator().manual_seed(0)
    pool = PairPool(4)
    for _ in range(3):  # fill it and exchange once
        pool.exchange({"lq": torch.rand(2, 3, 4, 4, generator=g), "gt": torch.rand(2, 3, 16, 16, generator=g)}, g)
    copy = PairPool(4)
    copy.load_state_dict(pool.state_dict())
    batch = {"lq": torch.rand(2, 3, 4, 4, generator=g), "gt": torch.rand(2, 3, 16, 16, generator=g)}
    a = pool.exchange(batch, torch.Generator().manual_seed(5))
    b = copy.exchange(batch, torch.Generator().manual_seed(5))
    assert _equal(a, b) and _equal(pool.state_dict(), copy.state_dict())


def test_ema_round_trip() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    ema = EMA(net, 0.5)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    ema.update(net)
    fresh = EMA(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)), 0.5)
    fresh.load_state_dict(ema.state_dict())
    assert _equal(fresh.state_dict(), ema.state_dict())


def _snapshot(loop) -> dict:
    t = loop.trainer
    return {"trainer": t.state_dict(), "counters": loop.counters.state_dict(), "pool": loop.pairs.state_dict(),
            "g": t.accelerator.unwrap_model(t.net_g).state_dict(), "d": t.accelerator.unwrap_model(t.net_d).state_dict(),
            "opt_g": t.opt_g.state_dict(), "opt_d": t.opt_d.state_dict()}


def test_a_state_written_by_one_loop_resumes_another_exactly(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrgan")
    a = make_loop(context(data), stage_dir=tmp_path / "a")
    data_a = batches(a)
    for _ in range(3):  # G, D, EMA, schedulers, optimizers and the pool all move
        a.step(next(data_a))
    folder = tmp_path / "state"
    folder.mkdir()
    a.checkpoints.state.write(folder)
    assert {p.name for p in folder.iterdir()} >= {TRAINING_FILE, "pool_rank0.pt"}

    b = make_loop(context(data), stage_dir=tmp_path / "b")
    assert not _equal(_snapshot(b), _snapshot(a)), "a fresh loop differs from one that trained"
    b.checkpoints.state.read(folder)
    assert _equal(_snapshot(b), _snapshot(a))
    assert b.view.iteration == 3

    batch = next(data_a)  # the next step of both is the same, bit for bit
    logs_a, logs_b = a.step(batch), b.step(batch)
    assert logs_a == logs_b and _equal(_snapshot(b), _snapshot(a))


class _Part:
    def __init__(self, value: int) -> None:
        self.value = value

    def state_dict(self) -> dict:
        return {"value": self.value}

    def load_state_dict(self, state) -> None:
        self.value = state["value"]


def test_shared_and_per_rank_parts_round_trip_and_an_older_state_asks_for_fresh(tmp_path: Path) -> None:
    acc = make_accelerator("no")  # nothing prepared: its own files are the RNG states
    shared, mine = _Part(3), _Part(9)
    TrainingState(acc, {"counters": shared}, {"pool": mine}).write(tmp_path)
    assert torch.load(tmp_path / TRAINING_FILE, weights_only=True) == {"counters": {"value": 3}}
    assert torch.load(tmp_path / "pool_rank0.pt", weights_only=True) == {"value": 9}
    back, back_pool = _Part(0), _Part(0)
    TrainingState(acc, {"counters": back}, {"pool": back_pool}).read(tmp_path)
    assert (back.value, back_pool.value) == (3, 9)

    with pytest.raises(DataError, match=r"no 'trainer' in training.pt.*--fresh"):
        TrainingState(acc, {"counters": back, "trainer": _Part(0)}).read(tmp_path)
    (tmp_path / TRAINING_FILE).unlink()  # a state of the format before training.pt existed
    with pytest.raises(DataError, match=r"written by an older esrgan \(no training.pt\); start the run again with --fresh"):
        TrainingState(acc, {"counters": back}).read(tmp_path)
