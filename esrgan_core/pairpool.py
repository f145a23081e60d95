"""Training-pair pool: mixes pairs across iterations (Real-ESRGAN's training-pair queue).

Design: a ring of ``queue_size`` slots per named tensor (e.g. ``lq`` and ``gt``). While it is
filling, incoming samples are stored and the batch is returned unchanged. Once full, each call
picks B distinct random slots, returns their contents and stores the incoming samples in them.
That is the reference's "permute the whole queue, take the first B, overwrite them" in
distribution, without its requirement that queue_size be a multiple of the batch size; a batch
that does not fit while filling stores what fits. Batch sizes may change between calls (B must
not exceed queue_size once the pool is full).
"""

from __future__ import annotations

from typing import Any, Mapping

import torch

from esrgan_core.errors import DataError


class PairPool:
    """``exchange({"lq": ..., "gt": ...}, generator) -> same keys``; tensors are NCHW, any device."""

    def __init__(self, queue_size: int = 180) -> None:
        if queue_size < 0:
            raise ValueError("queue_size must be >= 0")
        self.queue_size = int(queue_size)
        self.count = 0
        self.slots: dict[str, torch.Tensor] = {}

    @property
    def full(self) -> bool:
        return self.count >= self.queue_size

    def exchange(self, tensors: Mapping[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Store the incoming samples and return a batch of the same size and keys."""
        if self.queue_size == 0:
            return dict(tensors)
        b = _batch_size(tensors)
        if not self.slots:
            self.slots = {k: torch.zeros((self.queue_size, *t.shape[1:]), dtype=t.dtype, device=t.device)
                          for k, t in tensors.items()}
        if set(tensors) != set(self.slots):
            raise DataError(f"pair pool holds {sorted(self.slots)}, got {sorted(tensors)}")
        if not self.full:
            take = min(b, self.queue_size - self.count)
            for k, t in tensors.items():
                self.slots[k][self.count:self.count + take] = t[:take].detach()
            self.count += take
            return dict(tensors)
        if b > self.queue_size:
            raise DataError(f"batch of {b} is larger than the pair pool (queue_size {self.queue_size})")
        idx = torch.randperm(self.queue_size, generator=generator, device=generator.device)[:b]
        out = {}
        for k, t in tensors.items():
            slot_idx = idx.to(self.slots[k].device)
            out[k] = self.slots[k].index_select(0, slot_idx)
            self.slots[k].index_copy_(0, slot_idx, t.detach().to(self.slots[k].dtype))
        return out

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: size, fill count and the stored tensors."""
        return {"queue_size": self.queue_size, "count": self.count, "slots": dict(self.slots)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if int(state["queue_size"]) != self.queue_size:
            raise DataError(f"pair pool state has queue_size {state['queue_size']}, this pool has {self.queue_size}")
        self.count = int(state["count"])
        self.slots = {k: v.clone() for k, v in dict(state["slots"]).items()}


def _batch_size(tensors: Mapping[str, torch.Tensor]) -> int:
    sizes = {int(t.shape[0]) for t in tensors.values()}
    if len(sizes) != 1:
        raise DataError(f"pair pool tensors have different batch sizes: {sorted(sizes)}")
    return sizes.pop()
