"""Hook specifications: the plugin reference.

Every registration hook receives a ``register`` callback; the host owns validation, duplicate
detection and naming. A plugin module implements any subset of these with ``@hookimpl``::

    from esrgan_core.hookspecs import hookimpl

    @hookimpl
    def register_losses(register):
        register("my_loss", MyLoss, params=MyLossParams, help="what it does")

``register(name, factory, params=None, *, help="")``:

- ``name``: the value users write as ``type:`` in the config. Unique per kind across all plugins;
  a second registration of the same name is an error naming both plugins.
- ``factory``: a callable building the component. What it receives is stated per hook below.
- ``params``: an attrs class (fields made with :func:`esrgan_core.schema.param`) that declares and
  validates the component's options. ``None`` means the component takes no options.
- ``help``: one line shown by ``esrgan-run plugins`` and in the JSON schema.

``register`` checks its arguments at start-up (callable factory, attrs params class, the class
attributes the kind's contract requires) and raises a PluginError naming the plugin. What each
factory must build is a contract in :mod:`esrgan_core.contracts`.

Observer hooks (``on_*``) are called by the training loop; their ``trainer`` argument is the stage
as the loop sees it (:class:`TrainingRun`). A plugin adds logging or early stopping there without
touching a trainer (call ``trainer.request_stop(reason)`` to stop after this iteration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from esrgan_core.contracts import Trainer
    from esrgan_core.trainer_api import TrainedNetworks

PROJECT = "esrgan"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

class Register(Protocol):
    """The callback every ``register_<kind>`` hook receives (checked: see the module docstring)."""

    def __call__(self, name: str, factory: Callable[..., Any], params: type | None = None, *, help: str = "") -> None: ...


class RegisterCommand(Protocol):
    """The callback ``register_commands`` receives."""

    def __call__(self, name: str, configure: Callable[[Any], None], handler: Callable[[Any], int | None], *,
                 help: str = "") -> None: ...


class TrainingRun(Protocol):
    """What observer hooks receive: a read-only view of the stage being trained
    (:class:`esrgan_core.training.view.RunView`; it holds no reference to the loop)."""

    trainer: Trainer          # the stage's trainer (see esrgan_core.contracts.Trainer)
    params: Any               # the stage's params (``params.name`` is the stage name)
    accelerator: Any          # the run's accelerate.Accelerator (process index, device)
    iteration: int            # iterations completed
    stop_reason: str | None   # why the stage will stop after this iteration (None: it goes on)
    stage_dir: Path           # the stage's folder (experiments/<run>/<stage>/)

    def networks(self) -> TrainedNetworks:
        """The trainer's networks (generator, EMA, discriminator), unwrapped."""

    def request_stop(self, reason: str) -> None:
        """Stop after the current iteration (a state is saved; re-running resumes)."""


@hookspec
def register_networks(register: Register) -> None:
    """Register network architectures: ``factory(params) -> torch.nn.Module``.

    Contract: :class:`esrgan_core.contracts.Network` (optional ``describe(params)`` and
    ``detect(state_dict)`` on the factory).
    """


@hookspec
def register_degradations(register: Register) -> None:
    """Register degradation stages: ``factory(params) -> stage``, called as ``stage(batch, generator)``.

    Contract: :class:`esrgan_core.contracts.DegradationStage` (batch: :class:`esrgan_core.degradation.DegradationBatch`).
    """


@hookspec
def register_losses(register: Register) -> None:
    """Register losses: ``factory(params) -> loss``.

    Contract: :class:`esrgan_core.contracts.Loss` (``inputs``, ``weight``, ``adversarial``); the
    trainer provides each declared input by name, so it never branches on loss names.
    """


@hookspec
def register_augmentations(register: Register) -> None:
    """Register pair augmentations (a training config's ``augment:`` list): ``factory(params) -> aug``.

    Contract: :class:`esrgan_core.contracts.PairAugmentation` (``aug(pair, generator) -> pair``).
    """


@hookspec
def register_trainers(register: Register) -> None:
    """Register trainers: ``factory(params, context: StageContext) -> trainer``.

    Contract: :class:`esrgan_core.contracts.Trainer`; context: :class:`esrgan_core.trainer_api.StageContext`.
    """


@hookspec
def register_metrics(register: Register) -> None:
    """Register image-quality metrics: ``factory(params) -> metric`` (:class:`esrgan_core.contracts.Metric`)."""


@hookspec
def register_datasets(register: Register) -> None:
    """Register datasets: ``factory(params, *, base_dir) -> dataset`` (:class:`esrgan_core.contracts.Dataset`)."""


@hookspec
def register_tasks(register: Register) -> None:
    """Register tasks: what a config's ``task:`` runs.

    ``factory(params, context) -> int | None``: run the task and return the exit code (``None``
    means 0). ``params`` is the whole config (minus ``task`` and ``plugins``), validated by the
    task's params class.
    """


@hookspec
def register_commands(register: RegisterCommand) -> None:
    """Register CLI sub-commands of ``esrgan-run``.

    ``register(name, configure, handler, *, help="")``: ``configure(parser)`` adds arguments to an
    ``argparse.ArgumentParser``; ``handler(args) -> int | None`` runs it.
    """


@hookspec
def on_train_start(trainer: TrainingRun) -> None:
    """Called once before the first training iteration (also after a resume)."""


@hookspec
def on_iteration_end(trainer: TrainingRun, iteration: int, logs: Mapping[str, float]) -> None:
    """Called after every iteration with the values logged for it (losses, lr, timings)."""


@hookspec
def on_validation_end(trainer: TrainingRun, iteration: int, metrics: Mapping[str, float]) -> None:
    """Called after each validation with the averaged metric values."""


@hookspec
def on_checkpoint_saved(trainer: TrainingRun, iteration: int, path: str) -> None:
    """Called after a checkpoint or state has been completely written (``path`` is final)."""


@hookspec
def on_train_end(trainer: TrainingRun, iteration: int) -> None:
    """Called once when training ends (normally or by a stop request)."""


@hookspec(firstresult=True)
def convert_foreign_config(data: Mapping[str, Any], file: str) -> dict[str, Any] | None:
    """Recognise a config written for another tool (e.g. a BasicSR/Real-ESRGAN option file).

    Return the equivalent esrgan config as plain data, or ``None`` if ``data`` is not of that
    form. The first plugin that returns a value wins.
    """


@hookspec
def preflight_config(config: Any, registries: Any, findings: Any) -> None:
    """Check a loaded config for everything knowable without running it (files, shapes, folders).

    Add one finding per problem with ``findings.add(key_path, message)``, or wrap a check in
    ``with findings.check(key_path):`` so the error it raises becomes a finding. Called by
    ``esrgan-run validate`` and before any task runs; look only at configs of your own task
    (``config.task``). Never write anything here.
    """
