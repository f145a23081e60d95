"""A throwaway plugin used by the core tests: one task, one loss kind, with validated params."""

from __future__ import annotations

import attrs

from esrgan_core.errors import ParamError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.schema import param
from esrgan_core.values import ComponentSpec


@attrs.frozen
class ToyLossParams:
    weight: float = param(1.0, ge=0, help="loss weight")
    reduction: str = param("mean", help="mean or sum")


@attrs.frozen
class ToyTrain:
    total_iter: int = param(10, gt=0, help="iterations")
    losses: tuple[ComponentSpec, ...] = param(factory=tuple, kind="losses", help="losses")


@attrs.frozen
class ToyTaskParams:
    name: str = param("toy", help="run name")
    ratio: tuple[float, float] = param((0.2, 0.8), ge=0, le=1, help="a range")
    train: ToyTrain = param(factory=ToyTrain)

    def validate(self) -> None:
        if self.ratio[0] > self.ratio[1]:
            raise ParamError("ratio", "lower bound exceeds upper bound")


RUNS: list[ToyTaskParams] = []


def _run(params: ToyTaskParams, ctx: object) -> int:
    RUNS.append(params)
    return 0


class ToyPlugin:
    @staticmethod
    @hookimpl
    def register_losses(register):
        register("toy_l1", lambda p: ("toy_l1", p.weight), ToyLossParams, help="toy loss")

    @staticmethod
    @hookimpl
    def register_tasks(register):
        register("toy", _run, ToyTaskParams, help="toy task")
