"""The batch a degradation pipeline works on, and the runner that feeds stages uniform tensors.

Every image here is RGB float32 in [0, 1]. ``lq`` is NCHW while all samples share one size;
after a resize with per-sample scales it becomes *ragged*: a list of per-sample CxHxW tensors.
Stages never see a ragged batch: :func:`run_stage` splits it into groups of equal size, runs the
stage once per group (in order of each group's first sample) and merges the results.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import attrs
import torch

Stage = Callable[["DegradationBatch", torch.Generator], "DegradationBatch"]


@attrs.define
class DegradationBatch:
    """State of one batch while it is degraded.

    - ``lq``: the image being degraded, RGB float32 [0,1], NCHW (or a list of CxHxW when ragged).
    - ``gt``: the target, RGB float32 [0,1] NCHW. ``gt_usm``: its sharpened copy, or None.
    - ``scale``: the super-resolution factor; ``ori_size``: (H, W) of the HR input, which
      ``resize`` with ``to: lr`` measures against.
    - ``record``: one dict per sample of what each stage drew (JSON-able), keyed by stage name.
    """

    lq: torch.Tensor | list[torch.Tensor]
    gt: torch.Tensor
    scale: int
    ori_size: tuple[int, int]
    gt_usm: torch.Tensor | None = None
    record: list[dict[str, Any]] = attrs.field(factory=list)

    @classmethod
    def from_gt(cls, gt: torch.Tensor, scale: int) -> DegradationBatch:
        """A fresh batch: ``lq`` starts as ``gt`` (RGB float32 [0,1] NCHW)."""
        n = gt.shape[0]
        return cls(gt, gt, int(scale), (int(gt.shape[-2]), int(gt.shape[-1])), None, [{} for _ in range(n)])

    def __len__(self) -> int:
        return int(self.gt.shape[0])

    @property
    def ragged(self) -> bool:
        return isinstance(self.lq, list)

    @property
    def device(self) -> torch.device:
        return self.gt.device

    def lq_size(self, i: int) -> tuple[int, int]:
        return (int(self.lq[i].shape[-2]), int(self.lq[i].shape[-1]))

    def note(self, label: str, values: Sequence[dict[str, Any]] | dict[str, Any]) -> None:
        """Record what a stage drew: one dict per sample (or one dict for every sample)."""
        for i, rec in enumerate(self.record):
            key, k = label, 2
            while key in rec:
                key, k = f"{label}#{k}", k + 1
            rec[key] = dict(values if isinstance(values, dict) else values[i])

    def select(self, idx: Sequence[int]) -> DegradationBatch:
        """The samples ``idx`` as a batch of their own (views where possible; records are shared)."""
        if self.ragged:
            lq: torch.Tensor | list[torch.Tensor] = _stack_or_list([self.lq[i] for i in idx])
        else:
            lq = _take(self.lq, idx)
        usm = _take(self.gt_usm, idx) if self.gt_usm is not None else None
        return DegradationBatch(lq, _take(self.gt, idx), self.scale, self.ori_size, usm, [self.record[i] for i in idx])

    def groups_by_size(self) -> list[list[int]]:
        """Sample indices grouped by lq size, groups ordered by their first sample."""
        groups: dict[tuple[int, int], list[int]] = {}
        for i in range(len(self)):
            groups.setdefault(self.lq_size(i), []).append(i)
        return list(groups.values())


def _stack_or_list(items: list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
    if all(t.shape == items[0].shape for t in items):
        return torch.stack(items)
    return items


def _take(t: torch.Tensor, idx: Sequence[int]) -> torch.Tensor:
    """Rows ``idx`` of ``t``: a view for a contiguous ascending range, else a copy."""
    start = idx[0]
    if list(idx) == list(range(start, start + len(idx))):
        return t[start:start + len(idx)]
    return t.index_select(0, torch.tensor(list(idx), dtype=torch.long, device=t.device))


def merge(parts: Sequence[tuple[Sequence[int], DegradationBatch]], like: DegradationBatch,
          gt_unchanged: bool = False) -> DegradationBatch:
    """Put sub-batches (``(indices, batch)`` pairs covering every sample once) back together.

    ``gt_unchanged``: no part replaced its gt/gt_usm, so ``like``'s tensors are kept as they are.
    """
    n = len(like)
    lq = _scatter([(idx, part.lq) for idx, part in parts], n)
    if gt_unchanged:
        gt_t, usm_t, ori = like.gt, like.gt_usm, like.ori_size
    else:
        gt_t = _gather([(idx, part.gt) for idx, part in parts], n)
        usm_ok = all(part.gt_usm is not None for _, part in parts)
        usm_t = _gather([(idx, part.gt_usm) for idx, part in parts], n) if usm_ok else None
        ori = parts[0][1].ori_size
    return DegradationBatch(_stack_or_list(lq), gt_t, like.scale, ori, usm_t, like.record)


def _scatter(parts: Sequence[tuple[Sequence[int], Any]], n: int) -> list[Any]:
    """Row j of each part's rows, put at position idx[j] of an n-long list."""
    rows: list[Any] = [None] * n
    for idx, t in parts:
        for j, i in enumerate(idx):
            rows[i] = t[j]
    return rows


def _gather(parts: Sequence[tuple[Sequence[int], Any]], n: int) -> torch.Tensor:
    return torch.stack(_scatter(parts, n))


def run_parts(batch: DegradationBatch, groups: Sequence[Sequence[int]],
              fn: Callable[[int, DegradationBatch], DegradationBatch]) -> DegradationBatch:
    """Run ``fn(k, sub_batch)`` for the k-th group of sample indices and merge the results."""
    parts, unchanged = [], True
    for k, idx in enumerate(groups):
        sub = batch.select(idx)
        gt, usm = sub.gt, sub.gt_usm
        out = fn(k, sub)
        unchanged = unchanged and out.gt is gt and out.gt_usm is usm and out.ori_size == batch.ori_size
        parts.append((idx, out))
    return merge(parts, batch, gt_unchanged=unchanged)


def run_stage(stage: Stage, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
    """Call ``stage`` on ``batch``; a ragged batch is run one equal-size group at a time."""
    if not batch.ragged:
        return stage(batch, generator)
    return run_parts(batch, batch.groups_by_size(), lambda _, sub: stage(sub, generator))


def run_stages(stages: Sequence[Stage], batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
    for stage in stages:
        batch = run_stage(stage, batch, generator)
    return batch
