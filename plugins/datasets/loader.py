"""Reproducible data loading: a seeded, epoch-aware DataLoader.

The order of epoch ``e`` is a permutation drawn from ``(seed, e)``, and the datasets draw each
item's crop and flips from ``(seed, e, index)``, so batches are identical for any ``num_workers``
and a resumed run gets the same data by calling ``loader.set_epoch(e)``. Each ``iter(loader)``
starts the next epoch. Workers are not persistent, so they always see the current epoch.
"""

from __future__ import annotations

import random
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class EpochSampler(Sampler[int]):
    """All indices once per epoch: a permutation seeded by ``(seed, epoch)``, or in order."""

    def __init__(self, length: int, seed: int, shuffle: bool = True) -> None:
        self.length, self.seed, self.shuffle, self.epoch = length, seed, shuffle, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[int]:
        if not self.shuffle:
            return iter(range(self.length))
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.length, generator=g).tolist())


def seed_worker(worker_id: int) -> None:
    """worker_init_fn: seed numpy and ``random`` from the worker's torch seed (set by the loader)."""
    s = torch.initial_seed() % 2**32
    np.random.seed(s)
    random.seed(s)


class SeededDataLoader(DataLoader):
    """A DataLoader whose every ``iter()`` is one epoch: it sets the sampler's and dataset's epoch."""

    def __init__(self, dataset: Dataset, *, sampler: EpochSampler, seed: int, **kwargs: Any) -> None:
        super().__init__(
            dataset, sampler=sampler, generator=torch.Generator().manual_seed(seed), worker_init_fn=seed_worker, **kwargs
        )
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """The epoch the next ``iter()`` produces (for resuming)."""
        self.epoch = int(epoch)

    def __iter__(self) -> Any:
        epoch = self.epoch
        self.sampler.set_epoch(epoch)
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)
        self.generator.manual_seed(self.sampler.seed * 1_000_003 + epoch)
        self.epoch = epoch + 1
        return super().__iter__()


def make_dataloader(
    dataset: Dataset,
    batch_size: int,
    num_workers: int = 0,
    seed: int = 0,
    shuffle: bool = True,
    drop_last: bool = True,
    pin_memory: bool = False,
) -> SeededDataLoader:
    """A reproducible loader; a dataset without its own ``seed`` option takes ``seed`` from here."""
    if hasattr(dataset, "set_seed"):
        dataset.set_seed(seed)
    sampler = EpochSampler(len(dataset), seed, shuffle)  # type: ignore[arg-type]
    return SeededDataLoader(
        dataset, sampler=sampler, seed=seed, batch_size=batch_size, num_workers=num_workers,
        drop_last=drop_last, pin_memory=pin_memory, persistent_workers=False,
    )
