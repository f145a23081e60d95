"""Training states of a stage through :class:`StateStore` (crash-safe), for 1 or N processes.

:class:`TrainingState` saves and restores the stateful parts of a stage through their own
``state_dict()`` / ``load_state_dict()``; it knows no loop. A state folder holds

- Accelerate's ``save_state`` output: the models and optimizers prepared with the accelerator (it
  owns their device placement and the distributed gathering), its RNG states, its step counter;
- ``training.pt``: ``{name: part.state_dict()}`` of the *shared* parts (the same on every
  process: the trainer -- schedulers, EMA -- and the loop's counters), written by the main process;
- ``<name>_rank<N>.pt`` per *per-rank* part and process (the training-pair pool: ``pool_rank<N>.pt``).

Accelerate's ``register_for_checkpointing`` is not used for the parts: it writes them from the main
process only (the pool differs per rank), loads them with ``weights_only=False``, and its
registrations outlive ``free_memory`` on the run's one Accelerator, so a later stage would save
and expect the earlier stage's objects too. The main process owns the store; every process writes
its part into the store's temporary folder, whose path the main process broadcasts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol

import torch
from accelerate.utils import broadcast_object_list

from esrgan_core.errors import DataError
from esrgan_core.training.state_store import StateStore

TRAINING_FILE = "training.pt"


class Stateful(Protocol):
    """What a part of a training state offers (torch's convention)."""

    def state_dict(self) -> Mapping[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


def open_store(stage_dir: Path, keep: int, accelerator: Any) -> StateStore | None:
    """The stage's store on the main process (``None`` elsewhere)."""
    return StateStore(stage_dir, keep=keep) if accelerator.is_main_process else None


def broadcast(value: Any, accelerator: Any) -> Any:
    """``value`` of the main process, on every process."""
    if accelerator.num_processes == 1:
        return value
    box = [value]
    broadcast_object_list(box, from_process=0)
    return box[0]


def _older_format(folder: Path, missing: str) -> DataError:
    return DataError(f"the training state {folder} was written by an older esrgan (no {missing}); "
                     "start the run again with --fresh (the old folder is kept)")


class TrainingState:
    """The stateful parts of one stage: ``shared`` ones (one copy) and ``per_rank`` ones (one per process)."""

    def __init__(self, accelerator: Any, shared: Mapping[str, Stateful], per_rank: Mapping[str, Stateful] | None = None) -> None:
        self.accelerator = accelerator
        self.shared, self.per_rank = dict(shared), dict(per_rank or {})

    def rank_file(self, folder: Path, name: str) -> Path:
        return Path(folder) / f"{name}_rank{self.accelerator.process_index}.pt"

    def write(self, folder: Path) -> None:
        """Collective: every process writes its parts into ``folder``."""
        acc = self.accelerator
        acc.save_state(str(folder))
        if acc.is_main_process:
            torch.save({name: part.state_dict() for name, part in self.shared.items()}, Path(folder) / TRAINING_FILE)
        for name, part in self.per_rank.items():
            torch.save(part.state_dict(), self.rank_file(folder, name))
        acc.wait_for_everyone()

    def read(self, folder: Path) -> None:
        """Load a state written by :meth:`write` (all processes). A per-rank file that is absent (a
        state saved by fewer processes) leaves that part as it is."""
        acc, folder = self.accelerator, Path(folder)
        if not (folder / TRAINING_FILE).is_file():
            raise _older_format(folder, TRAINING_FILE)
        saved = torch.load(folder / TRAINING_FILE, map_location=acc.device, weights_only=True)
        missing = [name for name in self.shared if name not in saved]
        if missing:
            raise _older_format(folder, f"{missing[0]!r} in {TRAINING_FILE}")
        acc.load_state(str(folder))
        for name, part in self.shared.items():
            part.load_state_dict(saved[name])
        for name, part in self.per_rank.items():
            path = self.rank_file(folder, name)
            if path.is_file():
                part.load_state_dict(torch.load(path, map_location=acc.device, weights_only=True))

    def save(self, store: StateStore | None, iteration: int, meta: dict[str, Any]) -> Path:
        """Collective: write a complete state of ``iteration`` through ``store``; returns its final folder."""
        acc = self.accelerator
        final: Any = None
        if acc.is_main_process:
            assert store is not None

            def writer(tmp: Path) -> None:
                broadcast(str(tmp), acc)
                self.write(tmp)

            final = str(store.save(iteration, writer, meta))
        else:
            self.write(Path(broadcast(None, acc)))
        return Path(broadcast(final, acc))


def latest_state(store: StateStore | None, accelerator: Any) -> Path | None:
    """The newest complete state folder, agreed by every process."""
    found = store.latest() if store is not None else None
    value = broadcast(str(found) if found else "", accelerator)
    return Path(value) if value else None
