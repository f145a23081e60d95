"""The ``benchmark`` task and command: reports, table == JSON, bicubic baseline, LR cache, errors, plots."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F

from esrgan_core.cli import main
from esrgan_core.config import build_config
from esrgan_core.context import run_config
from esrgan_core.errors import ConfigError
from esrgan_core.images import read_image, write_image
from esrgan_core.modelfiles.description import describe
from esrgan_core.modelfiles.writers import save_pth, save_safetensors
from esrgan_core.plugins import load_plugins
from esrgan_plugins.benchmark.models import latest_export
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.conftest import requires_extra

SIZE, COUNT = 32, 3  # HR centre crops of 32x32 (LR 8x8) of the first 3 scikit-image photos


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny RRDBNet as .safetensors (with metadata) and a tiny SRVGGNetCompact as .pth, random weights."""
    folder = tmp_path_factory.mktemp("models")
    reg = load_plugins().registries["networks"]
    torch.manual_seed(0)
    rrdb = RRDBNet(RRDBNetParams(scale=4, num_feat=8, num_block=1))
    vgg = SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=4))
    save_safetensors(folder / "tiny_rrdb.safetensors", rrdb.state_dict(),
                     describe("rrdbnet", reg.get("rrdbnet").factory, rrdb.params))
    save_pth(folder / "tiny_vgg.pth", vgg.state_dict())
    return {"rrdb": folder / "tiny_rrdb.safetensors", "vgg": folder / "tiny_vgg.pth"}


def run_task(data: dict) -> int:
    cfg, host = build_config({"task": "benchmark", **data})
    return run_config(cfg, host)


def builtin_config(models: dict[str, Path], out: Path, cache: Path, **extra) -> dict:
    return {"models": [str(models["rrdb"]), {"model": str(models["vgg"]), "label": "vgg"}],
            "datasets": [{"builtin": "skimage_x4plus", "max_size": SIZE, "max_images": COUNT}],
            "output": str(out), "cache_dir": str(cache), **extra}


@pytest.fixture(scope="module")
def builtin_run(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("bench")
    out, cache = root / "out", root / "cache"
    assert run_task(builtin_config(models, out, cache)) == 0
    return {"out": out, "cache": cache, "json": json.loads((out / "results.json").read_text())}


def parse_table(md: str) -> dict[tuple[str, str], dict[str, float]]:
    """``{(dataset, method): {column: value}}`` from the first markdown table."""
    rows = [line for line in md.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    out = {}
    for line in rows[2:]:
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        out[(cells[0], cells[1])] = {h.split()[0]: float(v) for h, v in zip(header[2:], cells[2:]) if v != "n/a"}
    return out


@requires_extra("metrics", "stlpips_pytorch")
def test_builtin_run_writes_every_report_and_grid(builtin_run: dict) -> None:
    out, data = builtin_run["out"], builtin_run["json"]
    for name in ("results.json", "results.md", "per_image.csv"):
        assert (out / name).is_file()
    images = data["datasets"]["skimage_x4plus"]["images"]
    assert images == ["astronaut", "chelsea", "coffee"]
    assert [m["label"] for m in data["methods"]] == ["bicubic", "tiny_rrdb", "vgg"]
    for image in images:
        grid = read_image(out / "comparisons" / "skimage_x4plus" / f"{image}.png").pixels
        assert grid.shape == (SIZE, 5 * SIZE + 4 * 4, 3)  # LR | bicubic | 2 models | HR, 4 px gaps
    assert (out / "psnr_vs_lpips.png").is_file()  # ST-LPIPS is a default metric (its weights ship in esrgan[metrics])
    assert not list(out.rglob(".tmp-*"))


@requires_extra("metrics", "stlpips_pytorch")
def test_markdown_table_equals_json_and_has_bicubic_row(builtin_run: dict) -> None:
    data = builtin_run["json"]
    table = parse_table((builtin_run["out"] / "results.md").read_text())
    assert set(table) == {("skimage_x4plus", m) for m in ("bicubic", "tiny_rrdb", "vgg")}
    for (dataset, method), row in table.items():
        mean = data["results"][dataset][method]["mean"]
        assert set(mean) == {"psnr", "ssim", "stlpips", "fid"}
        assert mean["fid"] is None  # 3 images: fewer than fid's min_images, reported as n/a
        assert 0 < mean["stlpips"] < 1
        for metric, value in ((k, v) for k, v in mean.items() if v is not None):
            assert row[metric] == pytest.approx(round(value, 4), abs=1e-9)
    md = (builtin_run["out"] / "results.md").read_text()
    assert "crop border 4, channel RGB" in md and "seed 0" in md and "realesrgan_x4plus" in md


def test_per_image_csv_and_means_agree_with_json(builtin_run: dict) -> None:
    results = builtin_run["json"]["results"]["skimage_x4plus"]
    with open(builtin_run["out"] / "per_image.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 * COUNT
    for row in rows:
        assert float(row["psnr"]) == results[row["method"]]["per_image"][row["image"]]["psnr"]
    for r in results.values():
        assert r["mean"]["ssim"] == pytest.approx(np.mean([v["ssim"] for v in r["per_image"].values()]), abs=1e-12)


def test_bicubic_psnr_follows_the_protocol_definition(builtin_run: dict) -> None:
    """PSNR of bicubic(cached LR) vs the HR centre crop: 8-bit levels, 4 px border crop, RGB, 255 peak."""
    hr_u8 = skimage.data.astronaut()
    top, left = (hr_u8.shape[0] - SIZE) // 2, (hr_u8.shape[1] - SIZE) // 2
    hr = hr_u8[top:top + SIZE, left:left + SIZE].astype(np.float64)
    lrs = [cv2.imread(str(p))[..., ::-1] for p in sorted(builtin_run["cache"].glob("*.png"))]
    assert len(lrs) == COUNT
    got = builtin_run["json"]["results"]["skimage_x4plus"]["bicubic"]["per_image"]["astronaut"]["psnr"]
    candidates = []
    for lr in lrs:  # cache files are named by key; find the astronaut's by its PSNR
        t = torch.from_numpy(lr.astype(np.float32).transpose(2, 0, 1).copy())[None] / 255
        sr = F.interpolate(t, scale_factor=4, mode="bicubic", align_corners=False).clamp(0, 1)[0].numpy().transpose(1, 2, 0)
        sr = np.round(sr.astype(np.float64) * 255)
        mse = np.mean((sr[4:-4, 4:-4] - hr[4:-4, 4:-4]) ** 2)
        candidates.append(10 * np.log10(255**2 / mse))
    assert min(abs(c - got) for c in candidates) < 1e-6


def test_second_run_reuses_the_cached_lr_images(builtin_run: dict, models: dict[str, Path], tmp_path: Path) -> None:
    cache = builtin_run["cache"]
    before = {p: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(before) == COUNT
    out2 = tmp_path / "again"
    assert run_task(builtin_config(models, out2, cache)) == 0
    assert {p: p.stat().st_mtime_ns for p in cache.iterdir()} == before
    again = json.loads((out2 / "results.json").read_text())["results"]["skimage_x4plus"]
    first = builtin_run["json"]["results"]["skimage_x4plus"]
    assert {k: v["per_image"] for k, v in again.items()} == {k: v["per_image"] for k, v in first.items()}


def test_lpips_without_weights_exits_2_with_one_line(models: dict[str, Path], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))
    monkeypatch.delenv("ESRGAN_WEIGHTS_DIR", raising=False)
    out = tmp_path / "out"
    code = main(["benchmark", "-m", str(models["vgg"]), "--dataset", "skimage_x4plus", "--max-size", str(SIZE),
                 "--metrics", "psnr,lpips", "-o", str(out), "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert "alexnet-owt-7be5be79.pth" in err and str(tmp_path / "empty_torch_home") in err
    assert not out.exists()  # stopped before any work


def test_scatter_written_when_psnr_and_lpips_ran(models: dict[str, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))
    monkeypatch.delenv("ESRGAN_WEIGHTS_DIR", raising=False)
    out = tmp_path / "out"
    data = {"models": [str(models["vgg"])],
            "datasets": [{"builtin": "skimage_x4plus", "max_size": SIZE, "max_images": 2}],
            "metrics": [{"type": "psnr", "crop_border": 4}, {"type": "lpips", "allow_random_backbone": True}],
            "output": str(out), "cache_dir": str(tmp_path / "cache")}
    assert run_task(data) == 0
    plot = read_image(out / "psnr_vs_lpips.png")
    assert plot.pixels.shape[0] > 100 and plot.pixels.std() > 0.01
    mean = json.loads((out / "results.json").read_text())["results"]["skimage_x4plus"]["bicubic"]["mean"]
    assert set(mean) == {"psnr", "lpips"} and mean["lpips"] >= 0
    assert "lpips ↓" in (out / "results.md").read_text()


def _photo_folders(root: Path, names: tuple[str, ...] = ("astronaut", "coffee")) -> tuple[Path, Path]:
    """HR crops (40x36) and LR made by cv2 area resize, as PNG files in two folders."""
    for n in names:
        hr = getattr(skimage.data, n)()[100:140, 100:136].astype(np.float32) / 255
        write_image(root / "hr" / f"{n}.png", hr)
        write_image(root / "lr" / f"{n}x4.png", cv2.resize(hr, (9, 10), interpolation=cv2.INTER_AREA))
    return root / "hr", root / "lr"


def test_command_with_paired_folders_and_a_run_folder_model(models: dict[str, Path], tmp_path: Path) -> None:
    hr, lr = _photo_folders(tmp_path)
    export = tmp_path / "experiments" / "demo" / "gan" / "models" / "net_g_ema_latest.safetensors"
    export.parent.mkdir(parents=True)
    shutil.copyfile(models["rrdb"], export)
    out = tmp_path / "out"
    assert main(["benchmark", "-m", str(models["vgg"]), "-m", str(tmp_path / "experiments" / "demo"), "--hr", str(hr),
                 "--lr", str(lr), "-o", str(out), "--metrics", "psnr", "--crop-border", "2", "--y"]) == 0
    data = json.loads((out / "results.json").read_text())
    assert [(m["label"], m["info"]["file"]) for m in data["methods"][1:]] == [
        ("tiny_vgg", str(models["vgg"])), ("demo/gan", str(export))]
    assert data["datasets"]["hr"]["images"] == ["astronaut", "coffee"]
    assert data["protocol"]["metrics"][0]["crop_border"] == 2
    assert "psnr_y" in data["results"]["hr"]["bicubic"]["mean"]
    assert read_image(out / "comparisons" / "hr" / "coffee.png").pixels.shape[0] == 40


def test_recipe_dataset_degrades_by_the_stage_list(models: dict[str, Path], tmp_path: Path) -> None:
    """A one-stage recipe (area resize to LR) gives the 4x4 box average, rounded to 8-bit levels."""
    hr_dir, _ = _photo_folders(tmp_path, ("chelsea",))
    cache = tmp_path / "cache"
    recipe = [{"type": "resize", "prob": [0, 0, 1], "modes": ["area"], "to": "lr"}]
    data = {"models": [str(models["vgg"])], "output": str(tmp_path / "out"), "cache_dir": str(cache),
            "datasets": [{"name": "area", "hr": str(hr_dir), "recipe": recipe, "seed": 3}]}
    assert run_task(data) == 0
    (lr_file,) = cache.glob("*.png")
    hr = read_image(hr_dir / "chelsea.png").pixels.astype(np.float64)
    box = hr.reshape(10, 4, 9, 4, 3).mean(axis=(1, 3))
    assert np.abs(read_image(lr_file).pixels * 255 - np.round(box * 255)).max() <= 1
    info = json.loads((tmp_path / "out" / "results.json").read_text())["datasets"]["area"]
    assert info["seed"] == 3 and info["stages"][0]["modes"] == ["area"]


def test_run_folder_resolves_to_the_last_stage_latest_ema_export(tmp_path: Path) -> None:
    run = tmp_path / "experiments" / "demo"
    (run / "config.yml").parent.mkdir(parents=True)
    (run / "config.yml").write_text("task: train\nstages:\n  - {type: esrnet, name: net}\n  - {type: esrgan, name: gan}\n")
    files = [run / "net/models/net_g_ema_latest.safetensors", run / "gan/models/net_g_ema_100.safetensors",
             run / "gan/models/net_g_ema_latest.safetensors", run / "gan/models/net_g_100.pth"]
    for f in files:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    os.utime(files[0], ns=(2**62, 2**62))  # newest on disk, but from the earlier stage
    assert latest_export(run) == run / "gan/models/net_g_ema_latest.safetensors"
    files[2].unlink()
    assert latest_export(run) == run / "gan/models/net_g_ema_100.safetensors"


@pytest.mark.parametrize("dataset, key", [
    ({"hr": "x", "lr": "y", "recipe": "realesrgan_x4plus"}, "datasets[0].lr"),
    ({"lr": "y"}, "datasets[0].hr"),
    ({"builtin": "skimage_x4plus", "hr": "x"}, "datasets[0].builtin"),
])
def test_dataset_entries_are_validated(dataset: dict, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        build_config({"task": "benchmark", "models": ["m.pth"], "datasets": [dataset]})
    assert exc.value.path == key
