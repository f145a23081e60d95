"""Runs that fail stop with one line, a documented exit code and a resumable state.

Read-only folder: ``tests/run_failure_plugins.make_unwritable`` chmods the stage's ``models/``
folder to 0o500, or, as root (which ignores permissions), replaces it by a plain file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import yaml

from esrgan_core.cli import main
from tests import run_failure_plugins
from tests.train_support import tiny_config

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, **top) -> Path:
    data = tiny_config(tmp_path / "exp", stages="esrnet", iters=(5, 1), **top)
    data["logger"] = {"print_freq": 1, "save_checkpoint_freq": 2}
    data["plugins"] = ["tests.run_failure_plugins"]
    path = tmp_path / "run.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(autouse=True)
def _no_actions():
    run_failure_plugins.ACTIONS.clear()
    yield
    run_failure_plugins.ACTIONS.clear()


def _resume_finishes(cfg: Path, caplog, from_iteration: int) -> None:
    run_failure_plugins.ACTIONS.clear()
    caplog.clear()
    assert main([str(cfg)]) == 0
    assert f"(iteration {from_iteration})" in caplog.text
    assert (cfg.parent / "exp" / "tiny" / "esrnet" / "DONE").read_text().strip() == "5"


def test_raising_observer_stops_the_run_naming_the_plugin_after_saving_a_state(tmp_path, capsys, caplog):
    cfg = _config(tmp_path)
    run_failure_plugins.ACTIONS[3] = "raise"
    assert main([str(cfg)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tests.run_failure_plugins" in err[0] and "on_iteration_end" in err[0], err
    assert "RuntimeError: observer exploded on purpose" in err[0] and "Traceback" not in err[0]
    states = sorted(p.name for p in (tmp_path / "exp" / "tiny" / "esrnet" / "state").iterdir())
    assert states[-1] == "00000003"
    _resume_finishes(cfg, caplog, 3)


def test_run_folder_turning_unwritable_stops_with_one_line_and_a_resumable_state(tmp_path, capsys, caplog):
    cfg = _config(tmp_path)
    run_failure_plugins.ACTIONS[3] = "break_models"
    models = tmp_path / "exp" / "tiny" / "esrnet" / "models"
    try:
        assert main([str(cfg)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot write the checkpoint of iteration 4" in err[0], err
    finally:
        run_failure_plugins.restore(models)
    states = sorted(p.name for p in (tmp_path / "exp" / "tiny" / "esrnet" / "state").iterdir())
    assert states == ["00000002"]
    _resume_finishes(cfg, caplog, 2)


def test_nan_pretrained_file_is_refused_before_iteration_0(tmp_path, capsys):
    from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams

    state = RRDBNet(RRDBNetParams(num_feat=8, num_block=1, num_grow_ch=8)).state_dict()
    state["conv_last.weight"] = torch.full_like(state["conv_last.weight"], float("nan"))
    torch.save({"params": state}, tmp_path / "nan.pth")
    cfg = _config(tmp_path)
    data = yaml.safe_load(cfg.read_text())
    data["stages"][0]["path"] = {"pretrain_network_g": str(tmp_path / "nan.pth")}
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main([str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "conv_last.weight" in err[0] and "non-finite" in err[0]
    assert not (tmp_path / "exp").exists()  # nothing written, no iteration run


def test_experiments_root_that_is_a_file_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "exp").write_text("a file")
    assert main([str(_config(tmp_path))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "experiments_root" in err[0] and "is a file" in err[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions (the file-typed case above covers root)")
def test_unwritable_experiments_root_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp").chmod(0o500)
    try:
        assert main([str(_config(tmp_path))]) == 2
    finally:
        (tmp_path / "exp").chmod(0o700)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "experiments_root" in err[0] and "not writable" in err[0]
