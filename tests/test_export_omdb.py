"""``esrgan-run export RUN_FOLDER --omdb``: release files + a JSON with OpenModelDB's model fields.

The run folder is made the way training makes it (``config.yml`` = the resolved config,
``<stage>/models/`` written by the training plugin's ``save_models``), with tiny RRDBNets.
The field list and types follow OpenModelDB's ``src/lib/schema.ts`` (interface ``Model``,
``ExtraModelProperties``, ``Resource``, ``PairedImage``; ``ModelIdPattern``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path

import pytest

from esrgan_core.cli import main
from esrgan_core.modelfiles.loader import load_model
from esrgan_core.runlayout import RunLayout
from esrgan_core.trainer_api import TrainedNetworks
from esrgan_core.training.checkpoints import save_models
from esrgan_core.training.run import resolved_config
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from tests.conftest import requires_extra
from tests.train_support import context, tiny_config
from tests.upscale_nets import seeded

REQUIRED = {"name": str, "author": (str, list), "license": (str, type(None)), "tags": list, "description": str,
            "date": str, "architecture": str, "size": (list, type(None)), "scale": int, "inputChannels": int,
            "outputChannels": int, "resources": list, "images": list}
EXTRA = {"trainingIterations": int, "trainingEpochs": int, "trainingBatchSize": (int, str), "trainingHRSize": int,
         "trainingOTF": bool, "dataset": str, "datasetSize": int, "pretrainedModelG": str, "pretrainedModelD": str}
MODEL_ID = re.compile(r"^\d+x-[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
RESOURCE_KINDS = {("pth", "pytorch"), ("onnx", "onnx")}


@pytest.fixture()
def run_folder(tmp_path: Path) -> Path:
    data = tiny_config(tmp_path / "experiments", name="my_tiny run")
    data["datasets"]["val"] = {"dataset": {"type": "skimage_photos", "only": ["astronaut"], "patch_size": 64}}
    ctx = context(data)
    run = ctx.config.params
    folder = Path(run.experiments_root) / run.name
    folder.mkdir(parents=True)
    (folder / "config.yml").write_text(resolved_config(run), encoding="utf-8")
    params = RRDBNetParams(num_feat=8, num_block=1, num_grow_ch=8)
    for i, (stage, iters) in enumerate(zip(run.stages, (4, 3))):
        net = seeded(RRDBNet(params), seed=i, std=0.05)
        save_models(RunLayout(folder).stage(stage.params.name), "latest", TrainedNetworks(stage.params.network_g, net, net),
                    iteration=iters, config_hash="test", registries=ctx.registries, source=f"{run.name}/{stage.params.name}")
    return folder


def _check_types(entry: dict, fields: dict, required: bool) -> None:
    for key, kind in fields.items():
        if required:
            assert key in entry, key
        if key in entry:
            assert isinstance(entry[key], kind), (key, entry[key])


@requires_extra("export", "onnx")
def test_omdb_release_matches_openmodeldb_fields_and_hashes(run_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "release"
    assert main(["export", str(run_folder), "--omdb", "-o", str(out), "--author", "tester", "--license", "MIT"]) == 0
    (json_path,) = out.glob("*.json")
    entry = json.loads(json_path.read_text())
    assert MODEL_ID.match(json_path.stem) and json_path.stem == "4x-my-tiny-run"
    assert set(entry) <= set(REQUIRED) | set(EXTRA)
    _check_types(entry, REQUIRED, required=True)
    _check_types(entry, EXTRA, required=False)
    datetime.date.fromisoformat(entry["date"])
    assert (entry["architecture"], entry["size"], entry["scale"]) == ("esrgan", ["8nf", "1nb"], 4)
    assert (entry["author"], entry["license"]) == ("tester", "MIT")
    assert entry["trainingIterations"] == 7 and entry["trainingBatchSize"] == 2 and entry["trainingHRSize"] == 32
    assert entry["trainingOTF"] is True and entry["dataset"].startswith("skimage_photos")
    assert {(r["type"], r["platform"]) for r in entry["resources"]} == RESOURCE_KINDS
    for res in entry["resources"]:
        path = out / res["urls"][0]
        assert res["size"] == path.stat().st_size
        assert res["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["images"] and all(i["type"] == "paired" and (out / i["LR"]).is_file() and (out / i["SR"]).is_file()
                                   for i in entry["images"])
    release = load_model(out / "4x-my-tiny-run.safetensors")  # the last stage's EMA weights
    last = load_model(run_folder / "esrgan" / "models" / "net_g_ema_latest.safetensors")
    assert all((release.network.state_dict()[k] == v).all() for k, v in last.network.state_dict().items())


def test_omdb_on_a_folder_without_run_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", str(tmp_path), "--omdb", "-o", str(tmp_path / "out")]) == 2
    assert "no config.yml" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
