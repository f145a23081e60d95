"""Trainers through the real pipeline: losses, D/G alternation, EMA, stages, checkpoints, stops."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from esrgan_core.errors import ConfigError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.training.run import run_training
from tests.train_support import batches, context, make_loop, tiny_config


def _params(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The parameters under their state-dict (file) names: RRDBNet's are BasicSR's, not its module tree's."""
    return {k: v.detach().clone() for k, v in module.state_dict(keep_vars=True).items() if isinstance(v, torch.nn.Parameter)}


def test_esrnet_loss_decreases_through_the_real_pipeline(tmp_path: Path) -> None:
    ctx = context(tiny_config(tmp_path, stages="esrnet", queue_size=0))
    loop = make_loop(ctx)
    data = batches(loop)
    losses = [loop.step(next(data))["l_g_pix"] for _ in range(30)]
    assert loop.iteration == 30
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5


def test_discriminator_step_changes_d_and_not_g(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrgan")
    data["stages"][0]["train"]["net_d_init_iters"] = 1  # iteration 1 updates only D
    ctx = context(data)
    loop = make_loop(ctx)
    trainer = loop.trainer
    g0, d0 = _params(trainer.net_g), _params(trainer.net_d)
    logs = loop.step(next(batches(loop)))
    assert {"l_d_real", "l_d_fake", "out_d_real", "out_d_fake"} <= set(logs) and "l_g_total" not in logs
    assert all(torch.equal(g0[k], v) for k, v in _params(trainer.net_g).items())
    assert any(not torch.equal(d0[k], v) for k, v in _params(trainer.net_d).items())


def test_generator_step_does_not_touch_d_gradients(tmp_path: Path) -> None:
    ctx = context(tiny_config(tmp_path, stages="esrgan"))
    loop = make_loop(ctx)
    trainer = loop.trainer
    g0 = _params(trainer.net_g)
    logs = loop.step(next(batches(loop)))
    assert {"l_g_pix", "l_g_gan", "l_d_real", "l_d_fake"} <= set(logs)
    assert any(not torch.equal(g0[k], v) for k, v in _params(trainer.net_g).items())
    assert all(p.requires_grad for p in trainer.net_d.parameters())


def test_ema_is_decay_times_old_plus_rest_times_new_after_one_step(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrnet")
    data["stages"][0]["train"]["ema_decay"] = 0.9
    ctx = context(data)
    loop = make_loop(ctx)
    trainer = loop.trainer
    old = _params(trainer.ema.module)
    loop.step(next(batches(loop)))
    new_g = _params(trainer.accelerator.unwrap_model(trainer.net_g))
    for k, v in _params(trainer.ema.module).items():
        torch.testing.assert_close(v, 0.9 * old[k] + 0.1 * new_g[k], rtol=0, atol=1e-7)


class _Recorder:
    def __init__(self, stop_at: int | None = None) -> None:
        self.starts: list[tuple[str, dict[str, torch.Tensor], dict[str, torch.Tensor]]] = []
        self.iterations: list[int] = []
        self.stop_at = stop_at

    @hookimpl
    def on_train_start(self, trainer) -> None:
        nets = trainer.networks()
        self.starts.append((trainer.params.name, _params(nets.generator), _params(nets.ema)))

    @hookimpl
    def on_iteration_end(self, trainer, iteration, logs) -> None:
        self.iterations.append(iteration)
        if self.stop_at is not None and iteration == self.stop_at:
            trainer.request_stop("test asked")


def test_second_stage_starts_from_first_stage_ema_and_files_hold_floats(tmp_path: Path) -> None:
    rec = _Recorder()
    ctx = context(tiny_config(tmp_path), extra_plugins=(("recorder", rec),))
    assert run_training(ctx.config.params, ctx) == 0
    root = tmp_path / "tiny"
    first = torch.load(root / "esrnet" / "models" / "net_g_latest.pth", weights_only=True)
    assert set(first) == {"params", "params_ema"}
    assert [name for name, _, _ in rec.starts] == ["esrnet", "esrgan"]
    _, g_start, ema_start = rec.starts[1]
    for k, v in first["params_ema"].items():
        assert torch.equal(g_start[k], v) and torch.equal(ema_start[k], v)
    assert not all(torch.equal(first["params"][k], v) for k, v in first["params_ema"].items())
    for f in ("esrgan/models/net_g_latest.pth", "esrgan/models/net_d_latest.pth"):
        obj = torch.load(root / f, weights_only=True)
        assert set(obj) <= {"params", "params_ema"}
        assert all(isinstance(t, torch.Tensor) and t.is_floating_point() for d in obj.values() for t in d.values())
    assert (root / "esrgan" / "models" / "net_g_ema_latest.safetensors").is_file()
    assert (root / "config.yml").is_file() and (root / "esrnet" / "logs" / "metrics.jsonl").is_file()


def test_request_stop_saves_state_and_rerun_resumes_bitwise(tmp_path: Path) -> None:
    straight = context(tiny_config(tmp_path / "a", stages="esrnet", iters=(6, 1)))
    assert run_training(straight.config.params, straight) == 0
    rec = _Recorder(stop_at=3)
    stopped = context(tiny_config(tmp_path / "b", stages="esrnet", iters=(6, 1)), extra_plugins=(("rec", rec),))
    assert run_training(stopped.config.params, stopped) == 0
    assert rec.iterations == [1, 2, 3] and (tmp_path / "b" / "tiny" / "esrnet" / "state" / "00000003").is_dir()
    rec2 = _Recorder()
    again = context(tiny_config(tmp_path / "b", stages="esrnet", iters=(6, 1)), extra_plugins=(("rec", rec2),))
    assert run_training(again.config.params, again) == 0
    assert rec2.iterations == [4, 5, 6]
    a = torch.load(tmp_path / "a" / "tiny" / "esrnet" / "models" / "net_g_latest.pth", weights_only=True)
    b = torch.load(tmp_path / "b" / "tiny" / "esrnet" / "models" / "net_g_latest.pth", weights_only=True)
    for key in ("params", "params_ema"):
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key])


def test_fresh_keeps_the_old_run_folder(tmp_path: Path) -> None:
    ctx = context(tiny_config(tmp_path, stages="esrnet", iters=(1, 1)))
    run_training(ctx.config.params, ctx)
    again = context(tiny_config(tmp_path, stages="esrnet", iters=(1, 1)), fresh=True)
    run_training(again.config.params, again)
    assert len(list(tmp_path.glob("tiny_archived_*"))) == 1 and (tmp_path / "tiny" / "esrnet" / "DONE").is_file()


def test_config_errors_carry_paths(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, stages="esrnet")
    data["stages"][0]["network_g"]["scale"] = 2
    with pytest.raises(ConfigError) as err:
        context(data)
    assert err.value.path == "stages[0].network_g.scale"
    data = tiny_config(tmp_path, stages="esrnet")
    data["stages"][0]["train"]["optim_g"]["type"] = "SGD"
    with pytest.raises(ConfigError) as err:
        context(data)
    assert err.value.path == "stages[0].train.optim_g.type"


def test_official_recipes_validate(capsys) -> None:
    """The recipes are valid configs; on a machine without DF2K and the released weights, the
    preflight names exactly those missing files (and nothing else)."""
    from esrgan_core.cli import main

    root = Path(__file__).resolve().parents[1] / "configs"
    assert main(["validate", str(root / "quickstart.yml")]) == 0
    for name in ("realesrnet_x4plus", "realesrgan_x4plus", "realesrnet_x2plus", "realesrgan_x2plus", "modern_compact_x4"):
        capsys.readouterr()
        assert main(["validate", str(root / f"{name}.yml")]) == 2, name
        lines = capsys.readouterr().err.strip().splitlines()
        assert any("datasets.train.dataset.dataroot: folder" in line for line in lines), lines
        if name != "modern_compact_x4":  # trained from scratch
            assert any("pretrain_network_g" in line and "no such file" in line for line in lines), lines
        allowed = ("does not exist", "no such file", "is not on this machine")
        assert all(line.startswith(f"error: {root / name}.yml:") and any(a in line for a in allowed) for line in lines), lines


class _NanLossPlugin:
    """A third-party loss that turns NaN on its third call."""

    @hookimpl
    def register_losses(self, register) -> None:
        class NanAfterTwo(torch.nn.Module):
            inputs = ("sr",)
            adversarial = False
            weight = 1.0

            def __init__(self) -> None:
                super().__init__()
                self.calls = 0

            def forward(self, **tensors):
                self.calls += 1
                value = tensors["sr"].mean() * 0
                return {"l_nan": value + float("nan") if self.calls >= 3 else value}

        register("nan_after_two", NanAfterTwo)


def test_nan_loss_stops_with_a_message_after_saving_the_state_before_it(tmp_path: Path) -> None:
    from esrgan_core.training.loop import TrainingStopped

    data = tiny_config(tmp_path, stages="esrnet", iters=(6, 1))
    data["stages"][0]["train"]["losses"].append({"type": "nan_after_two"})
    ctx = context(data, extra_plugins=(("nan", _NanLossPlugin()),))
    with pytest.raises(TrainingStopped, match=r"loss l_nan is nan at iteration 3"):
        run_training(ctx.config.params, ctx)
    state = tmp_path / "tiny" / "esrnet" / "state" / "00000002"
    assert state.is_dir()
    weights = torch.load(tmp_path / "tiny" / "esrnet" / "models" / "net_g_2.pth", weights_only=True)
    assert all(torch.isfinite(t).all() for t in weights["params"].values())
