"""The training pair's target, presets checked at load, and a NaN in D's loss leaving every weight as it was."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
import torch
import torch.nn.functional as F
import yaml

from esrgan_core.cli import main
from esrgan_core.degradation.filtering import usm_sharpen
from esrgan_core.hookspecs import hookimpl
from esrgan_core.schema import param
from esrgan_core.training.loop import TrainingStopped
from esrgan_core.training.run import run_training
from tests.train_support import batches, context, make_loop, tiny_config


def test_paired_esrnet_with_gt_usm_trains_on_the_plain_gt(tmp_path: Path) -> None:
    """RealESRNetModel sharpens its GT only for degraded data; paired data trains on the plain GT."""
    data = tiny_config(tmp_path, stages="esrnet", queue_size=0, high_order_degradation=False)
    assert data["stages"][0]["train"].get("gt_usm", True), "esrnet's gt_usm defaults to true"
    loop = make_loop(context(data))
    assert loop.trainer.pair_request.sharpen_target, "the trainer asks for the sharpened target..."
    gen = torch.Generator().manual_seed(0)
    gt = torch.rand(2, 3, 32, 32, generator=gen)
    lq = F.interpolate(gt, scale_factor=0.25, mode="area")
    pair = loop.pairs.make({"gt": gt, "lq": lq}, torch.Generator().manual_seed(1), torch.device("cpu"))
    assert torch.equal(pair["gt"], gt) and torch.equal(pair["lq"], lq), "...and paired data gets the plain GT"
    assert not torch.equal(usm_sharpen(gt), gt)
    logs = loop.trainer.train_step(pair, loop_step(loop))
    with torch.no_grad():
        sr = loop.trainer.ema.module(lq)  # EMA decay 0.999: still (nearly) the G the loss was computed with
    assert abs(logs["l_g_pix"] - float((sr - gt).abs().mean())) < 1e-3


def loop_step(loop):
    from esrgan_core.trainer_api import Step

    return Step(1, 0, torch.Generator().manual_seed(2))


def test_degraded_esrnet_with_gt_usm_targets_usm_of_the_gt(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrnet", queue_size=0)
    data["degradation"] = [{"type": "resize", "to": "lr", "prob": [0, 0, 1]}]
    data["gt_size"] = 32
    loop = make_loop(context(data))
    gt = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    pair = loop.pairs.make({"gt": gt}, torch.Generator().manual_seed(1), torch.device("cpu"))
    assert torch.equal(pair["gt"], usm_sharpen(gt)) and "gt_usm" not in pair  # no loss reads gt_usm


def test_validate_rejects_a_misspelled_preset_with_a_suggestion(tmp_path: Path, capsys) -> None:
    data = tiny_config(tmp_path, stages="esrnet")
    data["degradation"] = "realesrgan_x4plsu"
    cfg = tmp_path / "run.yml"
    cfg.write_text(yaml.safe_dump(data))
    assert main(["validate", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "degradation" in err and "unknown degradation preset 'realesrgan_x4plsu'" in err
    assert "did you mean 'realesrgan_x4plus'" in err


def test_a_preset_for_another_scale_fails_at_load(tmp_path: Path) -> None:
    from esrgan_core.errors import ConfigError

    data = tiny_config(tmp_path, stages="esrnet", degradation="realesrgan_x2plus")
    with pytest.raises(ConfigError, match="is for scale 2") as info:
        context(data)
    assert info.value.path == "degradation"
    ok = context(tiny_config(tmp_path, stages="esrnet", degradation="realesrgan_x4plus"))
    assert [s.type for s in ok.config.params.degradation.stages][:2] == ["usm", "blur"]  # validated stage specs


@attrs.frozen
class NanDParams:
    weight: float = param(0.1, ge=0, help="generator weight")
    nan_from_call: int = param(5, ge=1, help="d_loss returns NaN from this call on (2 calls per iteration)")


class NanDiscriminatorLoss(torch.nn.Module):
    """Vanilla GAN loss whose discriminator side turns NaN at a given call."""

    inputs = ("fake_logits",)
    adversarial = True

    def __init__(self, params: NanDParams) -> None:
        super().__init__()
        self.weight, self.nan_from, self.calls = params.weight, params.nan_from_call, 0

    def d_loss(self, logits: torch.Tensor, is_real: bool) -> torch.Tensor:
        self.calls += 1
        loss = F.binary_cross_entropy_with_logits(logits.float(), torch.full_like(logits.float(), float(is_real)))
        return loss + float("nan") if self.calls >= self.nan_from else loss

    def forward(self, **tensors: torch.Tensor) -> dict[str, torch.Tensor]:
        logits = tensors["fake_logits"].float()
        return {"l_g_gan": self.weight * F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))}


class NanDPlugin:
    @hookimpl
    def register_losses(self, register) -> None:
        register("nan_d_gan", NanDiscriminatorLoss, params=NanDParams)


def _esrgan(root: Path, iters: int) -> dict:
    data = tiny_config(root, stages="esrgan", iters=(1, iters), deterministic=True)
    data["stages"][0]["train"]["losses"] = [{"type": "l1"}, {"type": "nan_d_gan"}]
    return data


def test_nan_in_the_discriminator_loss_leaves_g_d_and_ema_of_the_previous_iteration(tmp_path: Path) -> None:
    plugin = (("nan_d", NanDPlugin()),)
    ref = context(_esrgan(tmp_path / "ref", 2), extra_plugins=plugin)  # NaN would come at iteration 3: never
    assert run_training(ref.config.params, ref) == 0
    bad = context(_esrgan(tmp_path / "bad", 6), extra_plugins=plugin)  # D's loss is NaN at iteration 3
    with pytest.raises(TrainingStopped, match=r"loss l_d_real is nan at iteration 3"):
        run_training(bad.config.params, bad)
    a_dir, b_dir = tmp_path / "ref" / "tiny" / "esrgan" / "models", tmp_path / "bad" / "tiny" / "esrgan" / "models"
    assert (tmp_path / "bad" / "tiny" / "esrgan" / "state" / "00000002").is_dir()
    for ref_file, bad_file in (("net_g_latest.pth", "net_g_2.pth"), ("net_d_latest.pth", "net_d_2.pth")):
        a = torch.load(a_dir / ref_file, weights_only=True)
        b = torch.load(b_dir / bad_file, weights_only=True)
        for key in a:  # params (G or D) and params_ema
            assert all(torch.equal(a[key][k], b[key][k]) for k in a[key]), f"{bad_file}[{key}] moved"


def test_loop_step_counts_iterations_and_the_pair_holds_gt_usm_only_when_read(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrnet")
    data["stages"][0]["train"]["losses"] = [{"type": "l1", "target": "gt_usm"}]
    loop = make_loop(context(data))
    assert loop.trainer.pair_request.gt_usm
    logs = loop.step(next(batches(loop)))
    assert loop.iteration == 1 and loop.counters.micro_step == 1 and "l_g_pix" in logs
