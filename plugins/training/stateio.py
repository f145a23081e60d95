"""Training states of a stage through :class:`StateStore` (crash-safe), for 1 or N processes.

The main process owns the store; every process writes its part (Accelerate's ``save_state`` and
its own pair pool) into the store's temporary folder, whose path the main process broadcasts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelerate.utils import broadcast_object_list

from esrgan_plugins.training.state_store import StateStore


def open_store(stage_dir: Path, keep: int, accelerator: Any) -> StateStore | None:
    """The stage's store on the main process (``None`` elsewhere)."""
    return StateStore(stage_dir, keep=keep) if accelerator.is_main_process else None


def _broadcast(value: Any, accelerator: Any) -> Any:
    if accelerator.num_processes == 1:
        return value
    box = [value]
    broadcast_object_list(box, from_process=0)
    return box[0]


def save_state(trainer: Any, store: StateStore | None, meta: dict[str, Any]) -> Path:
    """Collective: write a complete state of ``trainer.iteration``; returns its final folder."""
    acc = trainer.accelerator
    final: Any = None
    if acc.is_main_process:
        assert store is not None

        def writer(tmp: Path) -> None:
            _broadcast(str(tmp), acc)
            trainer.write_state(tmp)

        final = str(store.save(trainer.iteration, writer, meta))
    else:
        tmp = _broadcast(None, acc)
        trainer.write_state(Path(tmp))
    final = _broadcast(final, acc)
    return Path(final)


def latest_state(store: StateStore | None, accelerator: Any) -> Path | None:
    """The newest complete state folder, agreed by every process."""
    found = store.latest() if store is not None else None
    value = _broadcast(str(found) if found else "", accelerator)
    return Path(value) if value else None
