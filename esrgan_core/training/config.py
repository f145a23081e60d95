"""Config of the ``train`` task and of its trainer stages (BasicSR vocabulary, frozen attrs).

Top level (shared by every stage)::

    name: quickstart            # run folder experiments/<name>/
    scale: 4
    seed: 0
    deterministic: false
    datasets: {train: {dataset: {type: ...}, batch_size_per_gpu: 4, num_worker_per_gpu: 0}, val: ...}
    degradation: realesrgan_x4plus     # preset name, or a list of stage specs
    high_order_degradation: true       # false: paired data, lq comes from the dataset
    gt_size: 256
    queue_size: 180
    augment: [{type: cutblur, prob: 0.5}]   # pair augmentations after the pool (optional)
    val: {val_freq: 5000, metrics: [psnr, ssim]}
    logger: {print_freq: 100, save_checkpoint_freq: 5000}
    stages:                            # one or more trainer sections, run in order
      - {type: esrnet, name: esrnet, network_g: {...}, path: {...}, train: {...}}
      - {type: esrgan, name: esrgan, network_g: {...}, network_d: {...}, train: {...}}

A stage without ``path.pretrain_network_g`` starts its generator AND its EMA from the previous
stage's EMA weights (``init_from_previous: true``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs

from esrgan_core.contracts import describe_network
from esrgan_core.degradation.recipe import RecipeValue, resolve_recipe
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_core.training.optim import OptimParams, SchedulerParams
from esrgan_core.values import ComponentSpec

Precision = Literal["no", "fp16", "bf16"]


@attrs.frozen(kw_only=True)
class TrainDataParams:
    """``datasets.train``: the HR (or paired) dataset and its loader."""

    dataset: ComponentSpec = param(kind="datasets", help="the dataset: {type: hr_folder | paired_folder | skimage_photos, ...}")
    batch_size_per_gpu: int = param(12, ge=1, help="samples per process and micro-batch")
    num_worker_per_gpu: int = param(0, ge=0, help="DataLoader worker processes per process")


@attrs.frozen(kw_only=True)
class ValDataParams:
    """``datasets.val``: paired images, or HR images degraded once with a fixed seed."""

    dataset: ComponentSpec = param(kind="datasets", help="paired_folder (lq+gt) or an HR dataset (degraded once)")
    max_images: int = param(0, ge=0, help="use at most this many images (0: all)")


@attrs.frozen(kw_only=True)
class DatasetsParams:
    train: TrainDataParams = param(help="training data")
    val: ValDataParams | None = param(None, help="validation data (optional)")


@attrs.frozen(kw_only=True)
class ValParams:
    """``val``: how often and how validation runs."""

    val_freq: int = param(5000, ge=1, help="validate every this many iterations (and at the end of a stage)")
    metrics: tuple[ComponentSpec, ...] = param(kind="metrics", factory=tuple,
                                               help="metrics, e.g. [psnr, {type: ssim, crop_border: 4}] (empty: psnr, ssim)")
    save_img: bool = param(True, help="save the SR images under visualization/")
    tile: int = param(0, ge=0, help="upscale in tiles of this LR size (0: whole image)")
    tile_overlap: int = param(16, ge=0, help="overlap of neighbouring tiles (LR pixels)")
    degradation_seed: int = param(1234, help="seed of the one-time degradation of HR validation images")


@attrs.frozen(kw_only=True)
class LoggerParams:
    print_freq: int = param(100, ge=1, help="progress line every this many iterations")
    save_checkpoint_freq: int = param(5000, ge=1, help="save models and a training state every this many iterations")
    keep_states: int = param(3, ge=1, help="newest training states kept")
    use_tb_logger: bool = param(True, help="log to TensorBoard (logs/tensorboard) when tensorboard is installed")
    wandb: bool = param(False, help="log to Weights & Biases when wandb is installed (run resumed by id)")


@attrs.frozen(kw_only=True)
class CompareParams:
    """``compare``: after the last stage, a side-by-side PNG LR | bicubic | each stage | HR."""

    images: tuple[str, ...] = param(help="held-out HR image files, or 'skimage:NAME' for a scikit-image sample")
    seed: int = param(4321, help="seed of the degradation applied to the held-out images")
    max_size: int = param(256, ge=16, help="HR images are centre-cropped to at most this size")


@attrs.frozen(kw_only=True)
class PathParams:
    """``path`` of a stage: pretrained weights (a file path or a built-in model name)."""

    pretrain_network_g: str | None = param(None, help="generator weights: file path or built-in name")
    param_key_g: str = param("params", help="key inside the file (params_ema falls back to params)")
    strict_load_g: bool = param(True, help="false: shape-mismatched keys are skipped and reported")
    pretrain_network_d: str | None = param(None, help="discriminator weights (file path)")
    param_key_d: str = param("params", help="key inside the discriminator file")
    strict_load_d: bool = param(True, help="strict loading of the discriminator")
    init_from_previous: bool = param(True, help="without pretrain_network_g: start G and EMA from the previous stage's EMA")


@attrs.frozen(kw_only=True)
class ESRNetTrainParams:
    """``train`` section of an ``esrnet`` stage."""

    total_iter: int = param(1_000_000, ge=1, help="iterations (optimizer updates) of this stage")
    losses: tuple[ComponentSpec, ...] = param(kind="losses", factory=tuple, help="generator losses, each {type, weight, ...}")
    optim_g: OptimParams = param(factory=lambda: OptimParams(lr=2e-4), help="generator optimizer")
    scheduler: SchedulerParams = param(factory=SchedulerParams, help="learning-rate schedule")
    ema_decay: float = param(0.999, ge=0, lt=1, help="EMA decay of the generator (0: EMA = G)")
    gt_usm: bool = param(True, help="train towards USM(GT), as RealESRNet (degraded data only: paired data keeps "
                                    "the plain GT, as the reference); the recipe's usm stage makes the LQ")
    grad_clip: float | None = param(None, gt=0, help="clip the gradient norm to this value")
    gradient_accumulation_steps: int = param(1, ge=1, help="micro-batches per optimizer update")
    mixed_precision: Precision = param("no", help="no | fp16 | bf16 (through Accelerate; bf16 also on CPUs with native bf16)")
    compile: bool = param(False, help="compile the generator with torch.compile (see docs/benchmarks.md)")
    channels_last: bool = param(False, help="keep the generator in channels_last memory format")

    def validate(self) -> None:
        if not self.losses:
            raise ParamError("losses", "at least one loss is needed")


@attrs.frozen(kw_only=True)
class ESRGANTrainParams(ESRNetTrainParams):
    """``train`` section of an ``esrgan`` stage."""

    optim_g: OptimParams = param(factory=OptimParams, help="generator optimizer")
    optim_d: OptimParams = param(factory=OptimParams, help="discriminator optimizer")
    gt_usm: bool = param(False, help="replace the GT by its sharpened copy (RealESRGANModel never does; "
                                     "use `target: gt_usm` on losses and gan_gt_usm instead)")
    net_d_iters: int = param(1, ge=1, help="update G only every this many iterations")
    net_d_init_iters: int = param(0, ge=0, help="update only D for the first this many iterations")
    l1_gt_usm: bool | None = param(None, help="not used: write `target: gt_usm` on each pixel loss instead")
    percep_gt_usm: bool | None = param(None, help="not used: write `target: gt_usm` on the perceptual loss instead")
    gan_gt_usm: bool = param(False, help="the discriminator's real input is the sharpened GT")

    def validate(self) -> None:
        super().validate()
        for key, kind in (("l1_gt_usm", "pixel"), ("percep_gt_usm", "perceptual")):
            if getattr(self, key) is not None:
                raise ParamError(key, f"each loss chooses its target here: write `target: gt_usm` (or gt) on the "
                                      f"{kind} loss in train.losses instead of {key}")


@attrs.frozen(kw_only=True)
class ESRNetStageParams:
    """A stage of type ``esrnet``: L1-style training of the generator only."""

    name: str = param("esrnet", help="stage name (sub-folder of the run folder)")
    network_g: ComponentSpec = param(kind="networks", help="generator network")
    path: PathParams = param(factory=PathParams, help="pretrained weights")
    train: ESRNetTrainParams = param(factory=ESRNetTrainParams, help="training options")


@attrs.frozen(kw_only=True)
class ESRGANStageParams:
    """A stage of type ``esrgan``: generator + discriminator."""

    name: str = param("esrgan", help="stage name (sub-folder of the run folder)")
    network_g: ComponentSpec = param(kind="networks", help="generator network")
    network_d: ComponentSpec = param(kind="networks", help="discriminator network")
    path: PathParams = param(factory=PathParams, help="pretrained weights")
    train: ESRGANTrainParams = param(factory=ESRGANTrainParams, help="training options")


@attrs.frozen(kw_only=True)
class RunParams:
    """The ``train`` task: shared data/degradation/logging options and the list of stages."""

    name: str = param(help="run name: the run folder is <experiments_root>/<name>/")
    stages: tuple[ComponentSpec, ...] = param(kind="trainers", help="trainer stages, run in order")
    datasets: DatasetsParams = param(help="train (and optional val) data")
    scale: int = param(4, ge=1, le=8, help="upscaling factor")
    seed: int = param(0, help="seed of every random choice (weights init, data order, degradations)")
    deterministic: bool = param(False, help="deterministic algorithms (bitwise-reproducible resume on CPU)")
    degradation: RecipeValue = param("realesrgan_x4plus", kind="degradations", convert=resolve_recipe,
                                     help="preset name or list of degradation stages (resolved when the config loads)")
    high_order_degradation: bool = param(True, help="false: paired finetuning, lq comes from the dataset")
    gt_size: int = param(256, ge=8, help="GT patch size used for training (LQ patch = gt_size / scale)")
    queue_size: int = param(180, ge=0, help="training-pair pool size per process (0: off)")
    augment: tuple[ComponentSpec, ...] = param(kind="augmentations", factory=tuple,
                                               help="pair augmentations after the pool, in order, each with its prob (docs/augment.md)")
    val: ValParams = param(factory=ValParams, help="validation options (needs datasets.val)")
    logger: LoggerParams = param(factory=LoggerParams, help="logging and checkpoint frequency")
    compare: CompareParams | None = param(None, help="final side-by-side comparison on held-out images")
    experiments_root: Path = param(Path("experiments"), help="folder holding run folders (relative to the working directory)")

    def validate(self) -> None:
        if not self.name.strip() or self.name in (".", "..") or any(c in self.name for c in "/\\"):
            raise ParamError("name", f"{self.name!r} is not a folder name: the run folder must stay inside "
                                     "experiments_root (no '/', '\\', '..')")
        if not self.stages:
            raise ParamError("stages", "at least one stage is needed")
        names = [s.params.name for s in self.stages]
        for i, n in enumerate(names):
            if names.index(n) != i:
                raise ParamError(f"stages[{i}].name", f"stage name {n!r} is used twice")
        if self.gt_size % self.scale:
            raise ParamError("gt_size", f"must be a multiple of scale {self.scale}")
        bs = self.datasets.train.batch_size_per_gpu
        if 0 < self.queue_size < bs:
            raise ParamError("queue_size", f"must be 0 or at least datasets.train.batch_size_per_gpu ({bs})")
        if self.high_order_degradation and self.degradation.scale not in (None, self.scale):
            raise ParamError("degradation", f"preset {self.degradation.preset!r} is for scale {self.degradation.scale}, "
                                            f"the run's scale is {self.scale}")
        for i, s in enumerate(self.stages):
            net = getattr(s.params, "network_g", None)
            desc = describe_network(net.factory, net.params) if net is not None else {"scale": self.scale}
            if desc["scale"] != self.scale:
                raise ParamError(f"stages[{i}].network_g.scale", f"is {desc['scale']} but the run's scale is {self.scale}")
            if stage_precision(s) == "fp16" and desc.get("supports_half", True) is False:
                raise ParamError(f"stages[{i}].train.mixed_precision",
                                 f"{net.type} is unsafe in fp16 (it overflows); use bf16 or no")
        precisions = {stage_precision(s) for s in self.stages}
        if len(precisions) > 1:
            raise ParamError("stages", f"all stages of a run use one mixed_precision (one Accelerator per run), "
                                       f"found {', '.join(sorted(precisions))}")


def stage_precision(spec: ComponentSpec) -> str:
    """A stage's ``train.mixed_precision`` ("no" for a trainer without one)."""
    return str(getattr(getattr(spec.params, "train", None), "mixed_precision", "no"))
