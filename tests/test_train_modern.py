"""The modern template (configs/modern_compact_x4.yml) trains: every loss of its mix and MoA on,
through the real trainer, a few iterations on CPU with tiny networks.

The DISTS term runs on a seeded random VGG16 and random alpha/beta (``random_weights: true``,
stated explicitly): the ImageNet file is not on a test machine and is never downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from esrgan_core.training.loss_inputs import StepTensors, provide
from esrgan_core.training.metrics_log import read_metrics
from esrgan_core.training.run import run_training
from tests.train_support import LIGHT_DEGRADATION, context, make_loop

TEMPLATE = Path(__file__).resolve().parents[1] / "configs" / "modern_compact_x4.yml"


def tiny_template(root: Path, iters: int = 3) -> dict:
    data = yaml.safe_load(TEMPLATE.read_text())
    data.update(experiments_root=str(root), gt_size=32, queue_size=4, degradation=LIGHT_DEGRADATION,
                logger={"print_freq": 1, "save_checkpoint_freq": 1000})
    data["datasets"] = {"train": {"dataset": {"type": "skimage_photos", "only": ["chelsea", "coffee"], "patch_size": 48},
                                  "batch_size_per_gpu": 2}}
    stage = data["stages"][0]
    stage["network_g"].update(num_feat=8, num_conv=1)
    stage["network_d"].update(num_feat=8)
    stage["train"]["total_iter"] = iters
    for loss in stage["train"]["losses"]:
        if loss["type"] == "dists":
            loss["random_weights"] = True
    return data


@pytest.mark.slow
def test_modern_template_trains_with_every_loss_and_moa(tmp_path: Path) -> None:
    data = tiny_template(tmp_path)
    for aug in data["augment"]:
        aug["prob"] = 1.0  # every augmentation on every step
    ctx = context(data)
    assert [a.type for a in ctx.config.params.augment] == ["cutblur", "cutmix", "resizemix", "mixup"]
    assert run_training(ctx.config.params, ctx) == 0
    records = [r for r in read_metrics(tmp_path / "modern_compact_x4" / "esrgan" / "logs" / "metrics.jsonl")
               if r["kind"] == "train"]
    assert [r["iter"] for r in records] == [1, 2, 3]
    terms = {"l_g_charbonnier", "l_g_ms_ssim_l1", "l_g_color_chroma", "l_g_dists", "l_g_ldl", "l_g_gan", "l_d_real"}
    assert terms <= set(records[-1]), sorted(records[-1])
    assert all(torch.isfinite(torch.tensor(r[t])) for r in records for t in terms)


def test_sr_ema_is_provided_only_when_a_loss_declares_it(tmp_path: Path) -> None:
    data = tiny_template(tmp_path)
    data["stages"][0]["train"]["losses"] = [{"type": "ldl"}, {"type": "gan"}]
    trainer = make_loop(context(data)).trainer
    lq = torch.rand(2, 3, 8, 8)
    pair = {"lq": lq, "gt": torch.rand(2, 3, 32, 32), "gt_usm": torch.rand(2, 3, 32, 32)}

    def declared_inputs(t):  # what the trainer computes: each loss's declared inputs, by name
        return provide(StepTensors(pair, t.net_g(lq), t), {n for loss in t.losses for n in loss.inputs})

    inputs = declared_inputs(trainer)
    with torch.no_grad():
        torch.testing.assert_close(inputs["sr_ema"], trainer.ema.module(lq))
    assert not inputs["sr_ema"].requires_grad
    data["stages"][0]["train"]["losses"] = [{"type": "l1"}, {"type": "gan"}]
    plain = make_loop(context(data)).trainer
    assert "sr_ema" not in declared_inputs(plain)


def test_a_missing_backbone_file_stops_the_run_before_the_first_stage_trains(tmp_path, monkeypatch, capsys) -> None:
    from esrgan_core.cli import main
    from tests.train_support import tiny_config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("ESRGAN_WEIGHTS_DIR", str(tmp_path / "weights"))
    data = tiny_config(tmp_path / "runs")
    data["stages"][1]["train"]["losses"].append({"type": "dists", "weight": 0.25})  # in the SECOND stage
    cfg = tmp_path / "two.yml"
    cfg.write_text(yaml.safe_dump(data))
    assert main([str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "vgg16-397923af.pth" in err[0] and "dists" in err[0]
    assert not (tmp_path / "runs" / "tiny" / "esrnet" / "models").exists(), "nothing was trained"
