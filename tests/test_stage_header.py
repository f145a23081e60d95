"""The start-up header of a stage (esrgan_core.training.header.stage_header) on a real trainer."""

from __future__ import annotations

from pathlib import Path

from esrgan_core.training.header import format_count, stage_header
from tests.train_support import context, make_loop, tiny_config


def test_stage_header_counts_the_networks_and_names_the_stage(tmp_path: Path) -> None:
    loop = make_loop(context(tiny_config(tmp_path, stages="esrgan")))
    nets = loop.trainer.networks()
    g = sum(p.numel() for p in nets.generator.parameters())
    d = sum(p.numel() for p in nets.discriminator.parameters())
    msgs = stage_header(loop.trainer, "esrgan", loop.acc, dataset_size=3, batch_per_device=2, stage_dir=tmp_path / "s")
    head = msgs[0].splitlines()
    assert head[0] == "esrgan training"
    assert f"  network_g  {format_count(g)} parameters" in head and f"  network_d  {format_count(d)} parameters" in head
    assert "  batch      2 per device x 1 process(es) x 1 accumulation = 2 effective" in head
    assert "  dataset    3 images, 2 optimizer steps per epoch" in head
    assert msgs[1:-1] == [f"  {line}" for line in loop.trainer.load_reports]
    assert msgs[-1] == f"  stage      'esrgan' (ESRGANTrainer), 3 iterations, folder {tmp_path / 's'}"
