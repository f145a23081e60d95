"""The observer view: what observer plugins get as ``trainer`` (the TrainingRun protocol), never the loop."""

from __future__ import annotations

import gc
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from esrgan_core.hookspecs import TrainingRun, hookimpl
from esrgan_core.training.run import run_training
from esrgan_core.training.state_store import StateStore
from esrgan_core.training.view import RunView
from tests.train_support import batches, context, make_loop, tiny_config


def _protocol_members() -> set[str]:
    names = set(TrainingRun.__annotations__)
    names |= {n for n, v in vars(TrainingRun).items() if callable(v) and not n.startswith("_")}
    return names


class _Watcher:
    """Observer plugin: records what each hook got, and asks to stop at ``stop_at``."""

    def __init__(self, stop_at: int) -> None:
        self.stop_at = stop_at
        self.seen: list[tuple[str, Any, int, int]] = []  # hook, trainer argument, hook iteration, view iteration

    def _note(self, hook: str, trainer: Any, iteration: int) -> None:
        self.seen.append((hook, trainer, iteration, trainer.iteration))

    @hookimpl
    def on_train_start(self, trainer):
        self._note("start", trainer, 0)

    @hookimpl
    def on_iteration_end(self, trainer, iteration, logs):
        self._note("iteration", trainer, iteration)
        if iteration == self.stop_at:
            trainer.request_stop("watcher asked")

    @hookimpl
    def on_checkpoint_saved(self, trainer, iteration, path):
        self._note("saved", trainer, iteration)

    @hookimpl
    def on_train_end(self, trainer, iteration):
        self._note("end", trainer, iteration)


def test_observers_get_the_view_and_request_stop_ends_after_that_iteration(tmp_path: Path) -> None:
    watcher = _Watcher(stop_at=2)
    ctx = context(tiny_config(tmp_path, stages="esrnet", iters=(5, 0)), extra_plugins=(("watcher", watcher),))
    assert run_training(ctx.config.params, ctx) == 0  # a plugin's stop is not an error
    stage = tmp_path / "tiny" / "esrnet"

    views = {id(t) for _, t, _, _ in watcher.seen}
    assert len(views) == 1, "every hook of the stage gets the same view object"
    view = watcher.seen[0][1]
    assert isinstance(view, RunView)
    assert view.params.name == "esrnet" and view.stage_dir == stage
    assert view.stop_reason == "watcher asked"
    assert [h for h, *_ in watcher.seen if h == "start"] == ["start"]
    assert all(hook_it == view_it for h, _, hook_it, view_it in watcher.seen if h != "start")

    # the stop takes effect after iteration 2: no iteration 3, a state of iteration 2, no DONE
    assert [it for h, _, it, _ in watcher.seen if h == "iteration"] == [1, 2]
    assert watcher.seen[-1][0] == "end" and watcher.seen[-1][2] == 2
    latest = StateStore(stage, keep=None, clean=False).latest()
    assert latest is not None and int(latest.name) == 2
    assert any(h == "saved" and it == 2 for h, _, it, _ in watcher.seen)
    records = [json.loads(line) for line in (stage / "logs" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in records if r["kind"] == "train"] == [1, 2]
    assert not (stage / "DONE").exists()


def _reachable(root: Any, skip: set[int], limit: int = 20000) -> set[int]:
    """Ids of the objects reachable from ``root`` by references, not following modules, classes,
    module namespaces (a function's globals) or the objects in ``skip``."""
    namespaces = {id(vars(m)) for m in list(sys.modules.values()) if m is not None}
    seen, todo = {id(root)}, [root]
    while todo and len(seen) < limit:
        for ref in gc.get_referents(todo.pop()):
            if id(ref) in seen or id(ref) in skip or id(ref) in namespaces:
                continue
            if isinstance(ref, (types.ModuleType, type)):
                continue
            seen.add(id(ref))
            todo.append(ref)
    return seen


def test_the_view_offers_the_protocol_only_and_cannot_reach_the_loop(tmp_path: Path) -> None:
    ctx = context(tiny_config(tmp_path, stages="esrnet"))
    loop = make_loop(ctx)
    view = loop.view
    public = {n for n in dir(view) if not n.startswith("_")}
    assert public == _protocol_members()
    assert view.trainer is loop.trainer and view.accelerator is loop.acc and view.params is loop.params

    with pytest.raises(AttributeError):
        view.iteration = 7  # read-only
    with pytest.raises(AttributeError):
        view.pairs = loop.pairs  # no new attributes either

    # what the loop keeps to itself is not reachable from the view (the documented trainer,
    # params and accelerator aside)
    reached = _reachable(view, skip={id(loop.trainer), id(loop.params), id(loop.acc)})
    for name in ("pairs", "checkpoints", "validation", "train_set", "mlog", "trackers", "context", "hook"):
        assert id(getattr(loop, name)) not in reached, f"the view reaches loop.{name}"
    assert id(loop) not in reached and id(loop.checkpoints.store) not in reached

    # the view follows the loop's progress and its stop request reaches the loop
    loop.step(next(batches(loop)))
    assert view.iteration == loop.iteration == 1
    assert view.stop_reason is None
    view.request_stop("because")
    assert loop.stop_reason == "because" and view.stop_reason == "because"
