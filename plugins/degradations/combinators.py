"""Combinator stages ``random_order`` and ``one_of``: they hold lists of sub-stages.

Sub-stages are ComponentSpecs of kind ``degradations``, so any registered stage (third-party
ones too) can be nested. They are built through the registry by the :class:`Pipeline` that owns
the combinator: it calls ``bind(build)`` with a function turning a spec into a stage.
Per sample (default) or once per batch, ``random_order`` draws a permutation of its groups and
``one_of`` draws one choice; samples that drew the same are run together as one sub-batch.
"""

from __future__ import annotations

from typing import Callable, Sequence

import attrs
import torch

from esrgan_core.degradation import DegradationBatch, Stage, run_parts, run_stages
from esrgan_core.degradation import sampling as S
from esrgan_core.degradation.checks import check_probs
from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_core.values import ComponentSpec

Builder = Callable[[ComponentSpec], Stage]


@attrs.frozen
class RandomOrderParams:
    name: str = param("", help="key for the drawn order in the record (default: order)")
    groups: tuple[tuple[ComponentSpec, ...], ...] = param((), kind="degradations",
                                                          help="lists of stages; the lists run in a random order")
    per_batch: bool = param(False, help="one order for the whole batch (reference behaviour)")

    def validate(self) -> None:
        if not self.groups:
            raise ParamError("groups", "at least one group of stages is required")


@attrs.frozen
class OneOfParams:
    name: str = param("", help="key for the drawn choice in the record (default: one_of)")
    choices: tuple[tuple[ComponentSpec, ...], ...] = param((), kind="degradations",
                                                           help="lists of stages; exactly one list runs")
    prob: tuple[float, ...] | None = param(None, help="probability of each choice (default: uniform)")
    per_batch: bool = param(False, help="one choice for the whole batch")

    def validate(self) -> None:
        if not self.choices:
            raise ParamError("choices", "at least one choice is required")
        if self.prob is not None:
            check_probs("prob", self.prob, len(self.choices), "choice")


class _Combinator:
    def __init__(self, specs: Sequence[Sequence[ComponentSpec]]) -> None:
        self._specs = specs
        self._lists: list[list[Stage]] | None = None

    def bind(self, build: Builder) -> None:
        """Build the sub-stages (called by the owning Pipeline)."""
        self._lists = [[build(spec) for spec in group] for group in self._specs]

    @property
    def lists(self) -> list[list[Stage]]:
        if self._lists is None:
            raise RuntimeError(f"{type(self).__name__} was not bound; build it through a Pipeline")
        return self._lists

    def _run_split(self, batch: DegradationBatch, plans: list[tuple[int, ...]], gen: torch.Generator) -> DegradationBatch:
        """Run each sample's plan (a sequence of list indices), grouping equal plans."""
        by_plan: dict[tuple[int, ...], list[int]] = {}
        for i, plan in enumerate(plans):
            by_plan.setdefault(plan, []).append(i)
        plans_in_order = list(by_plan)

        def run(k: int, sub: DegradationBatch) -> DegradationBatch:
            return run_stages([s for j in plans_in_order[k] for s in self.lists[j]], sub, gen)

        if len(plans_in_order) == 1:
            return run(0, batch)
        return run_parts(batch, [by_plan[plan] for plan in plans_in_order], run)


class RandomOrderStage(_Combinator):
    def __init__(self, params: RandomOrderParams) -> None:
        super().__init__(params.groups)
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        m = len(p.groups)
        keys = torch.rand((1 if p.per_batch else n, m), generator=generator, device=generator.device)
        perms = [tuple(r) for r in keys.argsort(dim=1).tolist()]
        plans = perms * n if p.per_batch else perms
        batch.note(p.name or "order", [{"order": list(plan)} for plan in plans])
        return self._run_split(batch, plans, generator)


class OneOfStage(_Combinator):
    def __init__(self, params: OneOfParams) -> None:
        super().__init__(params.choices)
        self.params = params

    def __call__(self, batch: DegradationBatch, generator: torch.Generator) -> DegradationBatch:
        p, n = self.params, len(batch)
        probs = p.prob or [1.0 / len(p.choices)] * len(p.choices)
        picks = S.choice(generator, n, probs, per_batch=p.per_batch).tolist()
        batch.note(p.name or "one_of", [{"choice": c} for c in picks])
        return self._run_split(batch, [(c,) for c in picks], generator)
