"""Training through the real task: third-party losses, observers, metrics.jsonl, validation files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from esrgan_core.hookspecs import hookimpl
from esrgan_core.images import read_image
from esrgan_core.training.run import run_training
from tests.conftest import needs_extra
from tests.train_support import context, tiny_config


def _records(stage_dir: Path, kind: str) -> list[dict]:
    lines = (stage_dir / "logs" / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r.get("kind") == kind]


def test_third_party_loss_trains_without_trainer_change(tmp_path: Path, example_plugin) -> None:
    data = tiny_config(tmp_path, stages="esrnet", iters=(3, 0))
    data["stages"][0]["train"]["losses"] = [{"type": "l1"}, {"type": "total_variation", "weight": 0.5}]
    ctx = context(data, extra_plugins=(("example", example_plugin),))
    assert run_training(ctx.config.params, ctx) == 0
    train = _records(tmp_path / "tiny" / "esrnet", "train")
    assert [r["iter"] for r in train] == [1, 2, 3]
    assert all(np.isfinite(r["l_g_tv"]) and r["l_g_tv"] > 0 for r in train)
    assert all(r["l_g_total"] == pytest.approx(r["l_g_pix"] + r["l_g_tv"], rel=1e-5) for r in train)


class Observer:
    """An observer plugin: what the lifecycle hooks receive."""

    def __init__(self) -> None:
        self.iterations: list[tuple[int, dict]] = []
        self.validations: list[tuple[int, dict]] = []
        self.saved: list[str] = []
        self.started = self.ended = 0

    @hookimpl
    def on_train_start(self, trainer):
        self.started += 1

    @hookimpl
    def on_iteration_end(self, trainer, iteration, logs):
        self.iterations.append((iteration, dict(logs)))

    @hookimpl
    def on_validation_end(self, trainer, iteration, metrics):
        self.validations.append((iteration, dict(metrics)))

    @hookimpl
    def on_checkpoint_saved(self, trainer, iteration, path):
        self.saved.append(path)

    @hookimpl
    def on_train_end(self, trainer, iteration):
        self.ended += 1


def _paired_val_folder(root: Path, scale: int = 4) -> tuple[Path, Path]:
    """GT crops of two photos and their area-downscaled LQ (RGB, 8-bit PNG)."""
    gt_dir, lq_dir = root / "val_gt", root / "val_lq"
    gt_dir.mkdir(), lq_dir.mkdir()
    for name in ("astronaut", "coffee"):
        rgb = getattr(skimage.data, name)()[:64, :64, :3]
        cv2.imwrite(str(gt_dir / f"{name}.png"), rgb[..., ::-1])
        lq = cv2.resize(rgb, (64 // scale, 64 // scale), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(lq_dir / f"{name}.png"), lq[..., ::-1])
    return gt_dir, lq_dir


def _psnr_by_definition(a_u8: np.ndarray, b_u8: np.ndarray, crop: int) -> float:
    a = a_u8[crop:-crop, crop:-crop].astype(np.float64)
    b = b_u8[crop:-crop, crop:-crop].astype(np.float64)
    return float(10 * np.log10(255.0**2 / np.mean((a - b) ** 2)))


def test_observers_metrics_jsonl_curves_and_validation_agree(tmp_path: Path) -> None:
    gt_dir, lq_dir = _paired_val_folder(tmp_path)
    data = tiny_config(tmp_path, stages="esrnet", iters=(4, 0))
    data["datasets"]["val"] = {"dataset": {"type": "paired_folder", "dataroot_gt": str(gt_dir),
                                           "dataroot_lq": str(lq_dir), "scale": 4, "use_hflip": False}}
    data["val"] = {"val_freq": 2, "metrics": [{"type": "psnr", "crop_border": 4}]}
    data["logger"] = {"print_freq": 1, "save_checkpoint_freq": 2}
    observer = Observer()
    ctx = context(data, extra_plugins=(("observer", observer),))
    assert run_training(ctx.config.params, ctx) == 0
    stage = tmp_path / "tiny" / "esrnet"

    # metrics.jsonl holds exactly what the observers were given, iteration by iteration
    train = _records(stage, "train")
    assert [(r["iter"], {k: v for k, v in r.items() if k not in ("iter", "kind")}) for r in train] == observer.iterations
    val = _records(stage, "val")
    assert [(r["iter"], {k: v for k, v in r.items() if k not in ("iter", "kind")}) for r in val] == observer.validations
    assert [it for it, _ in observer.validations] == [2, 4]
    assert (observer.started, observer.ended) == (1, 1)
    assert observer.saved and all(Path(p).exists() for p in observer.saved)
    curves = read_image(stage / "logs" / "curves.png")
    assert curves.pixels.shape[0] > 100 and curves.pixels.std() > 0

    # validation PSNR equals the definition computed on the saved SR images and the GT files
    values = []
    for name in ("astronaut", "coffee"):
        sr = cv2.imread(str(stage / "visualization" / name / f"{name}_4.png"))
        gt = cv2.imread(str(gt_dir / f"{name}.png"))
        values.append(_psnr_by_definition(sr, gt, crop=4))
    assert val[-1]["psnr"] == pytest.approx(float(np.mean(values)), abs=1e-9)


class _StopAt:
    """Observer that asks the trainer to stop (like Ctrl-C: a state is saved) at one iteration."""

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    @hookimpl
    def on_iteration_end(self, trainer, iteration, logs):
        if iteration == self.iteration:
            trainer.request_stop("test")


def test_tensorboard_tracker_logs_the_same_values_and_resumes_into_the_same_run(tmp_path: Path) -> None:
    needs_extra("tensorboard", "tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    data = tiny_config(tmp_path, stages="esrnet", iters=(5, 0))
    ctx = context(data, extra_plugins=(("stop", _StopAt(3)),))
    assert run_training(ctx.config.params, ctx) == 0
    ctx = context(data)  # the same command again resumes at iteration 4
    assert run_training(ctx.config.params, ctx) == 0
    stage = tmp_path / "tiny" / "esrnet"
    runs = list((stage / "logs" / "tensorboard").iterdir())
    assert len(runs) == 1, "a resumed stage logs into the same TensorBoard run"
    events = EventAccumulator(str(runs[0]))
    events.Reload()
    logged = {e.step: e.value for e in events.Scalars("train/l_g_pix")}
    expected = {r["iter"]: r["l_g_pix"] for r in _records(stage, "train")}
    assert sorted(logged) == [1, 2, 3, 4, 5] == sorted(expected)
    assert all(logged[i] == pytest.approx(expected[i], rel=1e-6) for i in expected)


def test_bf16_mixed_precision_and_gradient_accumulation_run_on_cpu(tmp_path: Path) -> None:
    """bf16 autocast (the CPU-capable mixed precision) and 2 micro-batches per update, through Accelerate."""
    data = tiny_config(tmp_path, stages="esrnet+esrgan", iters=(3, 2))
    for stage in data["stages"]:
        stage["train"].update({"mixed_precision": "bf16", "gradient_accumulation_steps": 2})
    ctx = context(data)
    assert run_training(ctx.config.params, ctx) == 0
    for stage, n in (("esrnet", 3), ("esrgan", 2)):
        train = _records(tmp_path / "tiny" / stage, "train")
        assert [r["iter"] for r in train] == list(range(1, n + 1)), "one record per optimizer update"
        assert all(np.isfinite(v) for r in train for k, v in r.items() if k.startswith("l_"))
    import torch

    ckpt = torch.load(tmp_path / "tiny" / "esrgan" / "models" / "net_g_latest.pth", weights_only=True)
    assert all(t.dtype == torch.float32 for t in ckpt["params"].values()), "weights stay fp32 under autocast"


def test_esrgan_keeps_the_plain_gt_and_usm_flags_point_to_loss_targets(tmp_path: Path) -> None:
    from esrgan_core.errors import ConfigError

    ctx = context(tiny_config(tmp_path, stages="esrgan"))
    train = ctx.config.params.stages[0].params.train
    assert (train.gt_usm, train.gan_gt_usm) == (False, False), "RealESRGANModel never replaces its GT"
    data = tiny_config(tmp_path, stages="esrgan")
    data["stages"][0]["train"]["l1_gt_usm"] = True
    with pytest.raises(ConfigError) as info:
        context(data)
    assert info.value.path == "stages[0].train.l1_gt_usm" and "target: gt_usm" in str(info.value)
