"""What the training loop and a trainer exchange: the stage context, a step, the outcome, the networks.

A trainer (see :class:`esrgan_core.contracts.Trainer`) is built by its registered factory as
``factory(params, context)`` with a :class:`StageContext`; everything it needs from the run comes
through that object, so a trainer can be written with ``esrgan_core`` alone. The loop owns the
iteration counters, the data, the training pairs, checkpoints and the :class:`Outcome`.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import attrs

from esrgan_core.runlayout import StageLayout
from esrgan_core.seeding import make_generator, mix_seed, seeded_global
from esrgan_core.values import ComponentSpec, RegistryLookup

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator

# Seed parts: what a generator is for, mixed with (run seed, stage index) by esrgan_core.seeding.
SEED_NETWORK_G, SEED_NETWORK_D, SEED_DATA, SEED_STEP = 1, 2, 3, 4


class Outcome(enum.Enum):
    """How a stage's loop ended."""

    DONE = "done"                # total_iter reached; the stage is complete
    STOPPED = "stopped"          # a plugin asked to stop (``request_stop``); a state was saved
    INTERRUPTED = "interrupted"  # SIGINT/SIGTERM; a state was saved

    @property
    def exit_code(self) -> int:
        """Exit code of the run: 130 after a signal (as a shell reports Ctrl-C), 0 otherwise."""
        return 130 if self is Outcome.INTERRUPTED else 0


@attrs.frozen
class Step:
    """One micro-batch as the loop hands it to ``Trainer.train_step``.

    ``iteration``: the iteration being computed, 1-based (BasicSR counting); it completes when the
    accelerator syncs gradients. ``generator``: all randomness of the step (on the device).
    """

    iteration: int
    micro_step: int
    generator: torch.Generator


@attrs.frozen
class PairRequest:
    """What a trainer needs from the training-pair step, besides ``lq`` and ``gt``.

    ``sharpen_target``: the target ``gt`` is the USM-sharpened GT (RealESRNet with ``gt_usm: true``;
    degraded data only, paired data keeps the plain GT). ``gt_usm``: add ``gt_usm = USM(gt)``
    (computed once, after crop and pool), because a loss or the trainer reads it.
    """

    sharpen_target: bool = False
    gt_usm: bool = False


@attrs.frozen
class TrainedNetworks:
    """The networks a trainer hands the loop to save and validate (unwrapped modules)."""

    network_g: ComponentSpec  # how the generator was built: architecture and params for the model files
    generator: Any            # torch.nn.Module
    ema: Any                  # the EMA generator: validated and exported
    discriminator: Any = None


@attrs.define(kw_only=True)
class StageContext:
    """What a trainer factory gets besides its params: ``factory(params, context)``.

    ``run``: the ``train`` task's params (shared options: scale, seed, data); ``index``: the stage's
    position in ``run.stages``; ``layout``: the stage's folders and files (``layout.dir``, its
    models, states and logs); ``accelerator``: the run's one Accelerator (device, precision,
    processes); ``registries``: every registered component by kind (``registries["losses"]``);
    ``base_dir``: what relative data paths follow; ``previous_ema``: the EMA weights of the stage
    before (or None); ``config_hash``: written into the stage's model files. Components come from
    :meth:`build`/:meth:`build_network`, seeds from :meth:`seed_for`/:meth:`generator`.
    """

    run: Any
    index: int
    layout: StageLayout
    accelerator: Accelerator
    registries: RegistryLookup
    base_dir: Path
    previous_ema: Mapping[str, torch.Tensor] | None = None
    config_hash: str = ""

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def stage_dir(self) -> Path:
        return self.layout.dir

    @property
    def seed(self) -> int:
        """The run's seed (``run.seed``)."""
        return int(self.run.seed)

    def seed_for(self, *parts: int) -> int:
        """The seed for what ``parts`` name (e.g. :data:`SEED_DATA`), mixed with the run's seed and the
        stage index (:func:`esrgan_core.seeding.mix_seed`), the same on every resume."""
        return mix_seed(self.seed, self.index, *parts)

    def generator(self, *parts: int, device: torch.device | str | None = None) -> torch.Generator:
        """A ``torch.Generator`` seeded with :meth:`seed_for` ``(*parts)`` (default: on the CPU)."""
        return make_generator(self.seed, self.index, *parts, device=device)

    def build(self, spec: ComponentSpec, *args: Any, **kwargs: Any) -> Any:
        """Build a component (loss, network, dataset, ...) from a validated spec through its registry;
        the object is checked against its contract (:func:`esrgan_core.contracts.check_built`)."""
        return self.registries[spec.kind].build_checked(spec, *args, **kwargs)

    def build_network(self, spec: ComponentSpec, seed_part: int) -> Any:
        """Build a network with its initial weights drawn from ``(run seed, stage, seed_part)``; the
        global RNG of the caller is left as it was (see :func:`esrgan_core.seeding.seeded_global`)."""
        with seeded_global(self.seed, self.index, seed_part):
            return self.build(spec)
