"""Config of the ``benchmark`` task: models x datasets x metrics (frozen attrs, validated from YAML).

::

    task: benchmark
    output: results/bench-x4
    scale: 4
    models:
      - realesrgan-x4plus                       # built-in name
      - {model: weights/mine.safetensors, label: mine}
      - experiments/my_run                      # a training run: its latest EMA export
    datasets:
      - {builtin: skimage_x4plus, max_size: 256}
      - {name: set14, hr: data/Set14/HR, lr: data/Set14/LRx4}
      - {name: div2k-deg, hr: data/DIV2K_valid_HR, recipe: realesrgan_x4plus, seed: 0}
    metrics:                                    # default: psnr + ssim (crop_border = scale, RGB), stlpips, fid
      - {type: psnr, crop_border: 4}
      - {type: lpips}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Union

import attrs

from esrgan_core.degradation.recipe import resolve_recipe
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_core.values import ComponentSpec

BUILTIN_DATASETS = ("skimage_x4plus",)
RESERVED_LABELS = ("bicubic", "LR", "HR")


@attrs.frozen(kw_only=True)
class ModelEntry:
    """One model to score: a built-in name, a model file, or a training run folder."""

    model: str = param(help="built-in name (realesrgan-x4plus), model file (.pth/.safetensors/.param) or run folder "
                            "experiments/<name> (its latest EMA export)")
    label: str | None = param(None, help="name in tables and figures (default: derived from model)")


@attrs.frozen(kw_only=True)
class DatasetEntry:
    """One test set: HR + LR folders, HR + a degradation recipe, or a built-in set."""

    name: str | None = param(None, help="dataset name in the report (default: the builtin name or the HR folder name)")
    builtin: Literal["skimage_x4plus"] | None = param(
        None, help="skimage_x4plus: the 8 scikit-image photos degraded by the realesrgan_x4plus preset")
    hr: Path | None = param(None, help="folder of HR (ground-truth) images")
    lr: Path | None = param(None, help="folder of LR images (same file stems as hr, or STEMx<scale>)")
    recipe: Union[str, tuple[ComponentSpec, ...], None] = param(
        None, kind="degradations", convert=resolve_recipe, help="preset name or stage list that makes the LR from hr (degraded once, cached)")
    seed: int = param(0, help="seed of the one-time degradation (per image mixed with its pixels' hash)")
    max_size: int | None = param(None, ge=8, help="centre-crop HR images to at most this many pixels per side")
    max_images: int = param(0, ge=0, help="use at most this many images, in name order (0: all)")

    def validate(self) -> None:
        if self.builtin is not None:
            if self.hr is not None or self.lr is not None:
                raise ParamError("builtin", "a builtin dataset takes no hr/lr folders")
            return
        if self.hr is None:
            raise ParamError("hr", "give an hr folder (with lr or recipe), or builtin: skimage_x4plus")
        if (self.lr is None) == (self.recipe is None):
            raise ParamError("lr", "give exactly one of lr (paired images) and recipe (degrade the HR images)")

    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.builtin:
            return self.builtin
        return Path(str(self.hr)).name or str(self.hr)


@attrs.frozen(kw_only=True)
class BenchmarkParams:
    """The ``benchmark`` task."""

    models: tuple[Union[str, ModelEntry], ...] = param(help="models to score (bicubic is always added as a baseline)")
    datasets: tuple[DatasetEntry, ...] = param((), help="test sets (default, or empty: [{builtin: skimage_x4plus}])")
    metrics: tuple[ComponentSpec, ...] = param(
        (), kind="metrics", help="metrics (default: psnr and ssim with crop_border = scale on RGB, plus stlpips and fid "
                                 "when their weights are available; fid is n/a for sets under its min_images)")
    output: Path = param(Path("results/benchmark"), help="folder for results.json, results.md, per_image.csv, figures")
    scale: int = param(4, ge=1, le=8, help="upscaling factor; every model must have it")
    tile: int = param(0, ge=0, help="tile size in LR pixels for model inference (0: whole image)")
    tile_overlap: int = param(32, ge=0, help="tile overlap in LR pixels")
    device: str = param("auto", help="inference device: auto (cuda if available), cpu, cuda, cuda:N")
    precision: Literal["fp32", "fp16", "bf16", "auto"] = param("fp32", help="inference precision (fp32 for comparable numbers)")
    compare_crop: int = param(128, ge=0, help="side of the centre crop (HR pixels) in comparison grids (0: whole image)")
    cache_dir: Path | None = param(
        None, help="cache of degraded LR images (default $ESRGAN_CACHE_DIR/benchmark_lr or ~/.cache/esrgan/benchmark_lr)")

    def validate(self) -> None:
        if not self.models:
            raise ParamError("models", "at least one model is needed")
        names = [d.display_name() for d in self.dataset_entries()]
        for i, n in enumerate(names):
            if names.index(n) != i:
                raise ParamError(f"datasets[{i}].name", f"dataset name {n!r} is used twice; set name:")
        labels = [m.label for m in self.model_entries() if m.label]
        for i, lab in enumerate(labels):
            if lab in RESERVED_LABELS:
                raise ParamError("models", f"label {lab!r} is reserved")
            if labels.index(lab) != i:
                raise ParamError("models", f"label {lab!r} is used twice")

    def dataset_entries(self) -> tuple[DatasetEntry, ...]:
        return self.datasets or (DatasetEntry(builtin="skimage_x4plus"),)

    def model_entries(self) -> list[ModelEntry]:
        return [m if isinstance(m, ModelEntry) else ModelEntry(model=m) for m in self.models]
