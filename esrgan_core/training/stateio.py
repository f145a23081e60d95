"""Training states of a stage through :class:`StateStore` (crash-safe), for 1 or N processes.

A state folder holds Accelerate's ``save_state`` output (prepared models and optimizers, RNG
states, its step counter), ``training.pt`` (the trainer's :meth:`state_dict` -- schedulers, EMA --
and the loop's counters) and one ``pool_rank<N>.pt`` per process (its training-pair pool). The
main process owns the store; every process writes its part into the store's temporary folder,
whose path the main process broadcasts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from accelerate.utils import broadcast_object_list

from esrgan_core.errors import DataError
from esrgan_core.training.state_store import StateStore

TRAINING_FILE = "training.pt"


def open_store(stage_dir: Path, keep: int, accelerator: Any) -> StateStore | None:
    """The stage's store on the main process (``None`` elsewhere)."""
    return StateStore(stage_dir, keep=keep) if accelerator.is_main_process else None


def _broadcast(value: Any, accelerator: Any) -> Any:
    if accelerator.num_processes == 1:
        return value
    box = [value]
    broadcast_object_list(box, from_process=0)
    return box[0]


def write_state(loop: Any, folder: Path) -> None:
    """Collective: every process writes its part of the loop's training state into ``folder``."""
    acc = loop.acc
    acc.save_state(str(folder))
    if acc.is_main_process:
        torch.save({"trainer": loop.trainer.state_dict(), "counters": loop.counters.state_dict()}, Path(folder) / TRAINING_FILE)
    torch.save(loop.pairs.state_dict(), Path(folder) / f"pool_rank{acc.process_index}.pt")
    acc.wait_for_everyone()


def read_state(loop: Any, folder: Path) -> None:
    """Load a state written by :func:`write_state` (all processes)."""
    acc = loop.acc
    if not (Path(folder) / TRAINING_FILE).is_file():
        raise DataError(f"the training state {folder} was written by an older esrgan (no {TRAINING_FILE}); "
                        "start the run again with --fresh (the old folder is kept)")
    acc.load_state(str(folder))
    saved = torch.load(Path(folder) / TRAINING_FILE, map_location=acc.device, weights_only=True)
    loop.trainer.load_state_dict(saved["trainer"])
    loop.counters.load_state_dict(saved["counters"])
    pool = Path(folder) / f"pool_rank{acc.process_index}.pt"
    if pool.is_file():
        loop.pairs.load_state_dict(torch.load(pool, map_location=acc.device, weights_only=True))


def save_state(loop: Any, store: StateStore | None, meta: dict[str, Any]) -> Path:
    """Collective: write a complete state of ``loop.iteration``; returns its final folder."""
    acc = loop.acc
    final: Any = None
    if acc.is_main_process:
        assert store is not None

        def writer(tmp: Path) -> None:
            _broadcast(str(tmp), acc)
            write_state(loop, tmp)

        final = str(store.save(loop.iteration, writer, meta))
    else:
        tmp = _broadcast(None, acc)
        write_state(loop, Path(tmp))
    final = _broadcast(final, acc)
    return Path(final)


def latest_state(store: StateStore | None, accelerator: Any) -> Path | None:
    """The newest complete state folder, agreed by every process."""
    found = store.latest() if store is not None else None
    value = _broadcast(str(found) if found else "", accelerator)
    return Path(value) if value else None
