"""Training data stream: a resumable, per-process sharded, seeded order of dataset samples.

The order of micro-batch ``k`` (counted from the start of the stage, across epochs) is a function
of ``(seed, k, rank)`` only, so a resumed run continues exactly where the interrupted one was
without replaying the loader. Datasets draw each item's random augmentation (flips, crops) from
``(seed, epoch, index)`` themselves (:class:`esrgan_core.contracts.Dataset`): the loader calls
``set_seed(seed)`` once and ``set_epoch(epoch)`` before each item, so items are the same whatever
the number of DataLoader workers. No global RNG is seeded or read.

Samples are dicts: ``gt`` RGB float32 [0,1] CHW (and ``lq`` for paired data).
"""

from __future__ import annotations

from typing import Any, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from esrgan_core.errors import DataError
from esrgan_core.seeding import make_generator


class SeededDataset(Dataset):
    """Wraps a dataset; item ``(epoch, index)`` is ``dataset[index]`` in epoch ``epoch``."""

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self.dataset = dataset
        self.seed = seed
        set_seed = getattr(dataset, "set_seed", None)
        if callable(set_seed):  # built-in datasets draw from (seed, epoch, index) themselves
            set_seed(seed)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, key: tuple[int, int]) -> Any:
        epoch, index = key
        set_epoch = getattr(self.dataset, "set_epoch", None)
        if callable(set_epoch):
            set_epoch(epoch)
        return self.dataset[index]


class ResumableBatchSampler(Sampler):
    """Endless batches of ``(epoch, index)`` for one process, starting at micro-batch ``start``.

    Every epoch is a permutation of the dataset drawn from ``(seed, epoch)``, cut into
    ``batch_size * world`` chunks (the incomplete tail is dropped); process ``rank`` takes its slice
    of each chunk, so all processes see different samples.
    """

    def __init__(self, size: int, batch_size: int, *, seed: int, rank: int = 0, world: int = 1, start: int = 0) -> None:
        per_step = batch_size * world
        if size < per_step:
            raise DataError(f"the training set has {size} samples, fewer than one batch for all processes "
                            f"({batch_size} x {world}); lower datasets.train.batch_size_per_gpu")
        self.size, self.batch_size, self.seed, self.rank, self.world = size, batch_size, seed, rank, world
        self.per_epoch = size // per_step
        self.start = start

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        k = self.start
        while True:
            epoch, j = divmod(k, self.per_epoch)
            g = make_generator(self.seed, epoch)
            perm = torch.randperm(self.size, generator=g).tolist()
            while j < self.per_epoch:
                base = (j * self.world + self.rank) * self.batch_size
                yield [(epoch, i) for i in perm[base:base + self.batch_size]]
                j += 1
                k += 1

    def __len__(self) -> int:  # endless; DataLoader only needs a number
        return 2**62


def _collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in items[0]:
        values = [it[key] for it in items]
        out[key] = torch.stack(values) if isinstance(values[0], torch.Tensor) else values
    return out


def make_train_loader(dataset: Dataset, batch_size: int, workers: int, *, seed: int, rank: int, world: int,
                      start: int) -> DataLoader:
    """An endless DataLoader whose first batch is micro-batch ``start`` of this process."""
    sampler = ResumableBatchSampler(len(dataset), batch_size, seed=seed, rank=rank, world=world, start=start)  # type: ignore[arg-type]
    return DataLoader(SeededDataset(dataset, seed), batch_sampler=sampler, num_workers=workers,
                      collate_fn=_collate, persistent_workers=workers > 0)
