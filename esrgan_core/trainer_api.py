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

from esrgan_core.registry import ComponentSpec
from esrgan_core.runlayout import StageLayout
from esrgan_core.seeding import seeded_global

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator

    from esrgan_core.context import RunContext

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


@attrs.define
class StageContext:
    """What a trainer factory gets besides its params: ``factory(params, context)``.

    ``run``: the ``train`` task's params (shared options: scale, seed, data); ``index``: the stage's
    position in ``run.stages``; ``accelerator``: the run's one Accelerator (device, precision,
    processes); ``previous_ema``: the EMA weights of the stage before (or None).
    """

    run: Any
    ctx: RunContext
    index: int
    layout: StageLayout
    accelerator: Accelerator
    base_dir: Path
    previous_ema: Mapping[str, torch.Tensor] | None = None
    config_hash: str = ""

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def stage_dir(self) -> Path:
        return self.layout.dir

    def build(self, spec: ComponentSpec, *args: Any, **kwargs: Any) -> Any:
        """Build a component (loss, network, ...) from a validated spec through its registry; the
        object is checked against its contract (:func:`esrgan_core.contracts.check_built`)."""
        return self.ctx.registries[spec.kind].build_checked(spec, *args, **kwargs)

    def build_network(self, spec: ComponentSpec, seed_part: int) -> Any:
        """Build a network with its initial weights drawn from ``(run seed, stage, seed_part)``; the
        global RNG of the caller is left as it was (see :func:`esrgan_core.seeding.seeded_global`)."""
        with seeded_global(self.run.seed, self.index, seed_part):
            return self.ctx.build(spec)
