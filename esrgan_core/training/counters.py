"""The loop's progress counters and best validation values (saved in every training state)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import attrs


@attrs.define
class Counters:
    """Iterations completed, micro-batches run, best value and iteration per validation metric."""

    iteration: int = 0
    micro_step: int = 0
    best: dict = attrs.Factory(dict)

    def state_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "micro_step": self.micro_step, "best": dict(self.best)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.iteration, self.micro_step = int(state["iteration"]), int(state["micro_step"])
        self.best = dict(state.get("best", {}))

    def record_best(self, metrics: Mapping[str, float], higher_is_better: Callable[[str], bool]) -> None:
        for name, value in metrics.items():
            old = self.best.get(name)
            if old is None or (value > old["value"] if higher_is_better(name) else value < old["value"]):
                self.best[name] = {"value": value, "iter": self.iteration}
