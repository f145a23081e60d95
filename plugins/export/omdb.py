"""``esrgan-run export RUN_FOLDER --omdb -o OUT``: a release of a training run for OpenModelDB.

Writes into OUT, named by the OpenModelDB id ``{scale}x-{Name}``: the EMA weights of the run's last
finished stage as ``.safetensors`` and Real-ESRGAN ``.pth``, a checked fp32 ``.onnx``, LR/SR sample
pairs (``samples/``) from the run's validation images, and ``{id}.json`` pre-filled with the fields
of OpenModelDB's model schema (``src/lib/schema.ts`` of OpenModelDB/open-model-database): name,
author, license, tags, description, date, architecture, size, scale, in/out channels, resources
(``pth``/``pytorch`` and ``onnx``/``onnx`` with byte size and sha256), images (paired LR/SR, as
local paths to replace by uploaded URLs), trainingIterations, trainingBatchSize, trainingHRSize,
trainingOTF and dataset (from the run's ``config.yml``).
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from esrgan_core.atomic import atomic_write_text
from esrgan_core.errors import ModelFileError
from esrgan_core.modelfiles.description import LoadedModel
from esrgan_core.runlayout import RunLayout
from esrgan_plugins.export.command import writable_folder

MODEL_ID = re.compile(r"^\d+x-[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")  # OpenModelDB's ModelIdPattern
ARCHITECTURES = {"rrdbnet": "esrgan", "srvgg_compact": "compact"}  # ours -> OpenModelDB architecture ids
MAX_SAMPLES, SAMPLE_SIDE = 3, 128


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_id(name: str, scale: int) -> str:
    """``{scale}x-{Name}`` with every run of other characters turned into one hyphen."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    return f"{scale}x-{'-'.join(words) or 'model'}"


def release_weights(run: Path) -> tuple[Path, list[int]]:
    """The last stage's ``models/net_g_ema_latest.safetensors`` (stage order of ``config.yml``) and every
    stage's iteration count."""
    config = read_run_config(run)
    stages = [s.get("name") for s in config.get("stages") or [] if isinstance(s, dict)]
    files = [RunLayout(run).stage(str(s)).net_g_ema() for s in stages]
    found = [f for f in files if f.is_file()]
    if not found:
        raise ModelFileError("no stage has models/net_g_ema_latest.safetensors; is this a training run folder?", file=run)
    from esrgan_core.modelfiles.readers import read_safetensors

    iterations = [int(read_safetensors(f)[1].get("iteration", 0)) for f in found]
    return found[-1], iterations


def read_run_config(run: Path) -> dict[str, Any]:
    path = RunLayout(run).config
    if not path.is_file():
        raise ModelFileError("not a training run folder (no config.yml)", file=run)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ModelFileError("config.yml is not a mapping", file=path)
    return data


def size_tags(loaded: LoadedModel) -> list[str] | None:
    """OpenModelDB's ``size``: ``["64nf", "23nb"]`` (ESRGAN), ``["64nf", "16nc"]`` (Compact)."""
    hp, arch = loaded.description.hyperparameters, loaded.description.architecture
    if arch == "rrdbnet":
        return [f"{hp['num_feat']}nf", f"{hp['num_block']}nb"]
    if arch == "srvgg_compact":
        return [f"{hp['num_feat']}nf", f"{hp['num_conv']}nc"]
    return None


def training_fields(config: dict[str, Any], iterations: list[int]) -> dict[str, Any]:
    """trainingIterations (all stages), trainingBatchSize, trainingHRSize, trainingOTF, dataset."""
    train = ((config.get("datasets") or {}).get("train") or {})
    dataset = train.get("dataset") or {}
    details = ", ".join(f"{k}: {v}" for k, v in dataset.items() if k != "type" and v not in (None, "", [], {}))
    paired = "lq" in str(dataset.get("type", "")) or "paired" in str(dataset.get("type", ""))
    out: dict[str, Any] = {"trainingIterations": sum(iterations),
                           "trainingOTF": bool(config.get("degradation")) and not paired,
                           "dataset": f"{dataset.get('type', 'unknown')}" + (f" ({details})" if details else "")}
    if train.get("batch_size_per_gpu") is not None:
        out["trainingBatchSize"] = int(train["batch_size_per_gpu"])
    if config.get("gt_size") is not None:
        out["trainingHRSize"] = int(config["gt_size"])
    return out


def resource(path: Path, kind: str) -> dict[str, Any]:
    return {"platform": "pytorch" if kind == "pth" else kind, "type": kind, "size": path.stat().st_size,
            "sha256": sha256(path), "urls": [path.name]}


def export_release(run: Path, out: Path, *, author: str | None = None, licence: str | None = None, name: str | None = None,
                   opset: int | None = None) -> list[str]:
    """Write the release files and the JSON; returns the lines to print."""
    from esrgan_core.modelfiles.loader import load_model
    from esrgan_plugins.export.formats import DEFAULT_OPSET, export_onnx, export_weights
    from esrgan_plugins.export.samples import write_samples

    if not run.is_dir():
        raise ModelFileError("not a folder; --omdb takes a training run folder (experiments/NAME)", file=run)
    config = read_run_config(run)
    weights, iterations = release_weights(run)
    loaded = load_model(weights)
    d = loaded.description
    ident = model_id(name or str(config.get("name") or run.name), d.scale)
    folder = writable_folder(out)
    st, pth, onnx_path = (folder / f"{ident}{ext}" for ext in (".safetensors", ".pth", ".onnx"))
    export_weights(loaded, st)
    export_weights(loaded, pth)
    check = export_onnx(loaded, onnx_path, opset=opset or DEFAULT_OPSET)
    images = write_samples(run, loaded, folder / "samples", limit=MAX_SAMPLES, side=SAMPLE_SIDE)
    entry = {
        "name": ident.split("-", 1)[1].replace("-", " "), "author": author or getpass.getuser(), "license": licence,
        "tags": [], "description": f"Trained with esrgan ({', '.join(str(s.get('type')) for s in config.get('stages') or [])}"
                                   f" stages). Release weights: EMA of {weights.parent.parent.name}.",
        "date": datetime.date.today().isoformat(),
        "architecture": ARCHITECTURES.get(d.architecture, d.architecture.removeprefix("spandrel:").lower()),
        "size": size_tags(loaded), "scale": d.scale, "inputChannels": d.in_channels, "outputChannels": d.out_channels,
        "resources": [resource(pth, "pth"), resource(onnx_path, "onnx")],
        "images": [{"type": "paired", "LR": str(lr.relative_to(folder)), "SR": str(sr.relative_to(folder))} for lr, sr in images],
        **training_fields(config, iterations),
    }
    json_path = folder / f"{ident}.json"
    atomic_write_text(json_path, json.dumps(entry, indent=4) + "\n")
    return [f"wrote {st.name}, {pth.name}, {onnx_path.name}, {len(images)} sample pair(s) and {json_path.name} in {folder}",
            check.line(), "upload the files, then replace the local names under resources[].urls and images[] by their URLs"]
