"""Training speed options: channels_last, torch.compile and bf16 mixed precision on the CPU."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from tests.train_support import batches, context, make_loop, tiny_config


def _trainer(tmp_path: Path, **train_options):
    data = tiny_config(tmp_path, stages="esrnet")
    data["stages"][0]["train"].update(train_options)
    ctx = context(data)
    return ctx, make_loop(ctx)


def test_channels_last_bf16_step_trains_and_keeps_plain_weights(tmp_path: Path) -> None:
    _, loop = _trainer(tmp_path, channels_last=True, mixed_precision="bf16")
    trainer = loop.trainer
    net = trainer.accelerator.unwrap_model(trainer.net_g)
    conv = next(m for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    losses = loop.step(next(batches(loop)))
    assert all(math.isfinite(v) for v in losses.values())
    after = net.state_dict()
    assert set(after) == set(before) and all(v.dtype == torch.float32 for v in after.values())
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the step changed the weights


def test_compile_option_compiles_the_generator_in_place_keeping_its_state_dict_keys(tmp_path: Path) -> None:
    """``nn.Module.compile`` (not a wrapper): checkpoints keep their keys. Compilation itself happens at
    the first forward, which the upscaler's compile test runs; here only the set-up is checked."""
    _, loop = _trainer(tmp_path, compile=True)
    net = loop.trainer.accelerator.unwrap_model(loop.trainer.net_g)
    assert getattr(net, "_compiled_call_impl", None) is not None
    assert not any(k.startswith("_orig_mod") for k in net.state_dict())
