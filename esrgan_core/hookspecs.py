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

Observer hooks (``on_*``) are called by trainers; a plugin adds logging or early stopping there
without touching a trainer (call ``trainer.request_stop(reason)`` to stop after this iteration).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pluggy

PROJECT = "esrgan"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[..., None]


@hookspec
def register_networks(register: Register) -> None:
    """Register network architectures.

    ``factory(params) -> torch.nn.Module``. An architecture may also expose a class attribute or
    function ``detect(state_dict) -> params | None`` on its factory, used by the model-file loader
    to rebuild a network from bare weights.
    """


@hookspec
def register_degradations(register: Register) -> None:
    """Register degradation stages.

    ``factory(params) -> Stage``; a stage is called as ``stage(batch, generator) -> batch`` on
    batched float tensors (RGB, [0, 1], NCHW) on whatever device the batch is on, drawing all its
    randomness from the ``torch.Generator`` it is given.
    """


@hookspec
def register_losses(register: Register) -> None:
    """Register losses.

    ``factory(params) -> Loss``; a loss declares the inputs it consumes (``inputs``: names such as
    ``"sr"``, ``"gt"``, ``"gt_usm"``, ``"fake_logits"``) so trainers never branch on loss names.
    """


@hookspec
def register_augmentations(register: Register) -> None:
    """Register pair augmentations (a training config's ``augment:`` list).

    ``factory(params) -> aug``; ``aug(pair, generator) -> pair`` gets ``{"lq", "gt"}`` (RGB float
    [0,1] NCHW, gt ``scale`` times larger, on the training device) after the pair pool, changes lq
    and gt together so they stay geometrically consistent, returns new tensors, and draws all its
    randomness from the ``torch.Generator`` it is given.
    """


@hookspec
def register_trainers(register: Register) -> None:
    """Register trainers. ``factory(params, context) -> Trainer``."""


@hookspec
def register_metrics(register: Register) -> None:
    """Register image-quality metrics. ``factory(params) -> Metric``."""


@hookspec
def register_datasets(register: Register) -> None:
    """Register datasets. ``factory(params, *, base_dir) -> torch.utils.data.Dataset``."""


@hookspec
def register_tasks(register: Register) -> None:
    """Register tasks: what a config's ``task:`` runs.

    ``factory(params, context) -> int | None``: run the task and return the exit code (``None``
    means 0). ``params`` is the whole config (minus ``task`` and ``plugins``), validated by the
    task's params class.
    """


@hookspec
def register_commands(register: Callable[..., None]) -> None:
    """Register CLI sub-commands of ``esrgan-run``.

    ``register(name, configure, handler, *, help="")``: ``configure(parser)`` adds arguments to an
    ``argparse.ArgumentParser``; ``handler(args) -> int | None`` runs it.
    """


@hookspec
def on_train_start(trainer: Any) -> None:
    """Called once before the first training iteration (also after a resume)."""


@hookspec
def on_iteration_end(trainer: Any, iteration: int, logs: Mapping[str, float]) -> None:
    """Called after every iteration with the values logged for it (losses, lr, timings)."""


@hookspec
def on_validation_end(trainer: Any, iteration: int, metrics: Mapping[str, float]) -> None:
    """Called after each validation with the averaged metric values."""


@hookspec
def on_checkpoint_saved(trainer: Any, iteration: int, path: str) -> None:
    """Called after a checkpoint or state has been completely written (``path`` is final)."""


@hookspec
def on_train_end(trainer: Any, iteration: int) -> None:
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
