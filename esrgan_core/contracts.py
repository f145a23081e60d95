"""The plugin API: what each registered component must look like to the host.

A plugin author needs only ``esrgan_core``. Every ``register_<kind>`` hook (see
:mod:`esrgan_core.hookspecs`) registers ``(name, factory, params)``; the factory builds an object
of the contract below. ``register`` checks at start-up what can be checked before a config exists
(:data:`REQUIRED`: class attributes of a factory that is a class); the built object is checked
again when a run builds it. Both raise a :class:`~esrgan_core.errors.PluginError` naming the plugin.
docs/write-a-plugin.md is generated from these docstrings (``python -m esrgan_core.contracts_doc``).

Images are RGB float tensors in [0, 1], NCHW, on whatever device the batch is on, unless a
contract says otherwise (metrics take HWC numpy images).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

from esrgan_core.errors import PluginError
from esrgan_core.trainer_api import PairRequest, Step, TrainedNetworks
from esrgan_core.values import ComponentSpec

if TYPE_CHECKING:
    import torch

    from esrgan_core.degradation import DegradationBatch

# Loss inputs a trainer provides by name (a loss lists those it reads in ``inputs``).
LOSS_INPUTS: dict[str, str] = {
    "sr": "generator output",
    "sr_ema": "the EMA generator's output on the same LQ (no gradient)",
    "gt": "training target (plain GT, or USM(GT) for RealESRNet with gt_usm: true)",
    "gt_usm": "USM-sharpened target, computed once after crop and pool when a consumer lists it",
    "lq": "low-quality input of the generator",
    "fake_logits": "discriminator logits of sr (discriminator frozen; adversarial trainers only)",
}


@runtime_checkable
class DegradationStage(Protocol):
    """A degradation stage: ``factory(params) -> stage``.

    ``stage(batch, generator) -> batch`` transforms a :class:`~esrgan_core.degradation.DegradationBatch`
    (``batch.lq`` degraded step by step, ``batch.gt`` the target), drawing all its randomness from
    the ``torch.Generator`` it is given, and records what it drew with ``batch.note(name, values)``.
    A stage that holds child stages (a combinator) also has ``bind(build)``: the pipeline calls it
    with a function building a child stage from its ComponentSpec.
    """

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch: ...


@runtime_checkable
class Loss(Protocol):
    """A generator loss: ``factory(params) -> loss`` (a ``torch.nn.Module``, so ``.to(device)`` works).

    - ``inputs``: the tensor names it reads, from the trainer's providers (:data:`LOSS_INPUTS`);
      the trainer computes only what some loss lists and never branches on loss names.
    - ``weight``: its multiplier; 0 switches it off (the trainer drops it).
    - optionally, on its params class, ``preflight()``: raise now (e.g. MissingWeightsError naming
      the file) if something the loss will need is absent; the preflight (``validate`` and the start of
      every run, before anything is written) calls it and reports what it raises as a finding.
    - ``adversarial``: True for a loss that also trains a discriminator; it then has
      ``d_loss(logits, is_real) -> scalar`` (unweighted, as the reference).
    - ``loss(**tensors) -> {term name: weighted scalar}``; the terms are summed into G's objective.
    """

    inputs: Sequence[str]
    weight: float
    adversarial: bool

    def __call__(self, **tensors: torch.Tensor) -> Mapping[str, torch.Tensor]: ...


@runtime_checkable
class PairAugmentation(Protocol):
    """A pair augmentation (a training config's ``augment:`` list): ``factory(params) -> aug``.

    ``aug(pair, generator) -> pair`` gets ``{"lq", "gt"}`` (``gt`` ``scale`` times larger, on the
    training device) after the pair pool and before ``gt_usm`` is computed, changes ``lq`` and ``gt``
    together so they stay aligned, returns new tensors, and draws all its randomness from the
    ``torch.Generator`` it is given.
    """

    def __call__(self, pair: Mapping[str, torch.Tensor], generator: torch.Generator) -> Mapping[str, torch.Tensor]: ...


@runtime_checkable
class Network(Protocol):
    """A network architecture: ``factory(params) -> torch.nn.Module`` (RGB [0,1] NCHW in and out).

    The factory may carry two functions (class attributes or static methods):

    - ``describe(params) -> {"scale", "in_channels", "out_channels", ...}``: facts about the built
      network (optional keys ``size_multiple``, ``supports_half``, ``supports_bfloat16``). ``scale``
      is the one name for the upscaling factor; without ``describe`` the host reads ``params.scale``
      (default 1), ``params.num_in_ch`` and ``params.num_out_ch``.
    - ``detect(state_dict) -> params | None``: rebuild params from bare weights (model-file loading).

    Initial weights may come from torch's global RNG: the host builds networks under
    :func:`esrgan_core.seeding.seeded_global`, so the run's seed decides them.
    """

    def __call__(self, params: Any) -> torch.nn.Module: ...


@runtime_checkable
class Metric(Protocol):
    """An image-quality metric: ``factory(params) -> metric``.

    Images are HWC RGB numpy arrays, float [0,1] (or uint8/uint16), scored on 8-bit levels.
    ``name``: the logged key; ``higher_is_better``; ``per_image``. A per-image metric is called as
    ``metric(sr, hr) -> float``; a set-level one (``per_image = False``) has
    ``compute(sr_images, hr_images) -> float``.
    """

    name: str
    higher_is_better: bool
    per_image: bool


@runtime_checkable
class Dataset(Protocol):
    """A dataset: ``factory(params, *, base_dir) -> dataset`` (relative paths follow ``base_dir``).

    ``len(dataset)`` and ``dataset[index] -> {"gt": CHW RGB float32 [0,1], "lq": ... (paired data),
    "gt_path": str}``. Item randomness (crops, flips) must come from ``(seed, epoch, index)``
    through :func:`esrgan_core.seeding.make_generator`; the loader calls ``set_seed(seed)`` once
    and ``set_epoch(epoch)`` before each item when the dataset has them.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Mapping[str, Any]: ...


@runtime_checkable
class Trainer(Protocol):
    """A trainer stage: ``factory(params, context: StageContext) -> trainer`` (Accelerate-style).

    The loop owns data, pairs, counters, checkpoints and the outcome; the trainer owns networks,
    optimizers and losses, prepared with ``context.accelerator``.

    - ``total_iter``: iterations of the stage; ``load_reports``: lines for the start-up header.
    - ``pair_request``: a :class:`~esrgan_core.trainer_api.PairRequest` (USM target, ``gt_usm``).
    - ``train_step(pair, step) -> {name: float}``: one micro-batch; ``pair`` holds ``lq`` and ``gt``
      (and ``gt_usm`` when requested). Check every loss before any optimizer step, so a
      non-finite value leaves the weights of the previous iteration (raise
      :class:`~esrgan_core.errors.NonFiniteLossError`). Update EMA and schedulers when
      ``accelerator.sync_gradients``.
    - ``networks() -> TrainedNetworks``: what the loop saves and validates.
    - ``lr() -> float``: the generator's current learning rate.
    - ``state_dict()`` / ``load_state_dict(state)``: what ``accelerator.save_state`` does not hold
      (schedulers, EMA); the loop writes it into every training state.
    """

    total_iter: int
    load_reports: list[str]
    pair_request: PairRequest

    def train_step(self, pair: Mapping[str, torch.Tensor], step: Step) -> Mapping[str, float]: ...

    def networks(self) -> TrainedNetworks: ...

    def lr(self) -> float: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


@runtime_checkable
class Task(Protocol):
    """A task (what a config's ``task:`` runs): ``factory(params, context: RunContext) -> int | None``.

    ``params`` is the whole config minus ``task``/``plugins``, validated by the task's params class;
    the return value is the exit code (None means 0).
    """

    def __call__(self, params: Any, context: Any) -> int | None: ...


# Per kind: the contract, and the attributes a factory that is a class must define.
CONTRACTS: dict[str, type] = {
    "degradations": DegradationStage, "losses": Loss, "augmentations": PairAugmentation, "networks": Network, "metrics": Metric,
    "datasets": Dataset, "trainers": Trainer, "tasks": Task,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "degradations": (),
    "losses": ("inputs", "adversarial"),
    "augmentations": (),
    "networks": (),
    "metrics": ("higher_is_better",),
    "datasets": ("__len__", "__getitem__"),
    "trainers": ("train_step", "networks", "state_dict", "load_state_dict", "lr"),
    "tasks": (),
}
# Checked on the built object (a factory may be a function, so only the object shows them).
BUILT_REQUIRED: dict[str, tuple[str, ...]] = {
    "degradations": ("__call__",),
    "augmentations": ("__call__",),
    "losses": ("inputs", "adversarial", "weight"),
    "trainers": ("train_step", "networks", "state_dict", "load_state_dict", "lr", "total_iter", "pair_request"),
}


def describe_network(factory: Any, params: Any) -> dict[str, Any]:
    """The :class:`Network` description of ``factory`` built with ``params``: its ``describe(params)``,
    else ``scale`` (default 1), ``num_in_ch`` and ``num_out_ch`` read off ``params``."""
    custom = getattr(factory, "describe", None)
    if callable(custom):
        return dict(custom(params))
    in_ch = getattr(params, "num_in_ch", 3)
    return {"scale": getattr(params, "scale", 1), "in_channels": in_ch, "out_channels": getattr(params, "num_out_ch", in_ch)}


def missing_attributes(obj: Any, names: Sequence[str]) -> list[str]:
    """The names of ``names`` that ``obj`` (a class or an instance) does not define."""
    return [n for n in names if not hasattr(obj, n)]


def check_built(kind: str, name: str, obj: Any, plugin: str) -> Any:
    """``obj`` if it has the attributes its contract requires, else a PluginError naming the plugin."""
    missing = missing_attributes(obj, BUILT_REQUIRED.get(kind, ()))
    if missing:
        raise PluginError(f"{kind} {name!r} built a {type(obj).__name__} without {', '.join(missing)} "
                          f"(see esrgan_core.contracts.{CONTRACTS[kind].__name__})", plugin=plugin)
    return obj


BuildChild = Callable[[ComponentSpec], DegradationStage]  # what a combinator stage's bind() receives
