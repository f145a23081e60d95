"""Two CPU processes (gloo, started by torchrun, driven by Accelerate): the run completes and both ranks end
with identical generator, EMA and discriminator weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.train_support import tiny_config

PROBE = textwrap.dedent('''
    """Observer plugin: each rank writes its final weights' values to rank<N>.json."""
    import json, os
    from esrgan_core.hookspecs import hookimpl

    @hookimpl
    def on_train_end(trainer, iteration):
        acc, trained = trainer.accelerator, trainer.networks()
        nets = {"g": trained.generator, "ema": trained.ema}
        if trained.discriminator is not None:
            nets["d"] = trained.discriminator
        out = {name: {k: v.detach().flatten().tolist() for k, v in n.state_dict().items()} for name, n in nets.items()}
        path = os.path.join(os.environ["PROBE_DIR"], f"{trainer.params.name}_rank{acc.process_index}.json")
        with open(path, "w") as fh:
            json.dump({"iteration": iteration, "world": acc.num_processes, "weights": out}, fh)
''')
LAUNCH = "import sys; from esrgan_core.cli import main; sys.exit(main(sys.argv[1:]))\n"


@pytest.mark.slow
def test_two_process_cpu_run_ends_with_identical_weights(tmp_path: Path) -> None:
    (tmp_path / "rank_probe.py").write_text(PROBE)
    (tmp_path / "launch.py").write_text(LAUNCH)
    data = tiny_config(tmp_path / "runs", iters=(3, 2), plugins=["rank_probe"])
    data["datasets"]["train"]["dataset"]["repeat"] = 2  # 6 samples: one batch of 2 for each of 2 processes
    data["datasets"]["val"] = {"dataset": {"type": "skimage_photos", "only": ["astronaut"], "patch_size": 64, "use_hflip": False}}
    (tmp_path / "run.yml").write_text(yaml.safe_dump(data))
    env = dict(os.environ, PROBE_DIR=str(tmp_path), PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", ACCELERATE_USE_CPU="1")
    # torchrun starts the two processes; Accelerate sees WORLD_SIZE=2 on a CPU-only machine -> gloo group
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(29400 + os.getpid() % 500),
           str(tmp_path / "launch.py"), str(tmp_path / "run.yml")]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for stage in ("esrnet", "esrgan"):
        ranks = [json.loads((tmp_path / f"{stage}_rank{r}.json").read_text()) for r in (0, 1)]
        assert all(r["world"] == 2 for r in ranks)
        assert ranks[0]["iteration"] == ranks[1]["iteration"] > 0
        assert ranks[0]["weights"] == ranks[1]["weights"]
    assert (tmp_path / "runs" / "tiny" / "esrgan" / "models" / "net_g_latest.pth").is_file()
    assert (tmp_path / "runs" / "tiny" / "esrgan" / "visualization" / "astronaut").is_dir()
