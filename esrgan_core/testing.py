"""Test helpers for plugin packages: a tiny config, a tiny run, contract checks, entry-point discovery.

A plugin package tests itself against the installed framework with these (docs/testing.md). In its
``conftest.py``::

    pytest_plugins = ["esrgan_core.testing"]

gives the fixtures ``esrgan_tiny_config`` (config data of a tiny training run under ``tmp_path``) and
``esrgan_run`` (run config data, return the run folder). The functions work without pytest too:

- :func:`discovered` -- the plugin as ``esrgan-run plugins --json`` shows it, from a fresh
  interpreter, so the installed entry point is what finds it;
- :func:`plugin_host` -- a plugin host with the plugin loaded (through its entry point, or a module
  registered directly for code that is not installed);
- :func:`check_components` -- every component the plugin registered, built with its default params
  and checked against :mod:`esrgan_core.contracts` (plus a small call of each stage, loss,
  augmentation, network and metric);
- :func:`tiny_config` / :func:`run` -- a seconds-long ESRNet run on three scikit-image photos.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from esrgan_core.config import build_config
from esrgan_core.context import run_config
from esrgan_core.contracts import LOSS_INPUTS, check_built, describe_network
from esrgan_core.degradation import DegradationBatch
from esrgan_core.plugins import ENV_VAR, TEST_ENV_VAR, PluginHost, check_registration, load_plugins
from esrgan_core.schema import from_dict
from esrgan_core.values import ComponentSpec

LIGHT_DEGRADATION: list[dict[str, Any]] = [
    {"type": "blur", "kernel_size": [3, 7], "kernel_list": ["iso"], "kernel_prob": [1.0], "sigma": [0.2, 1.0], "sinc_prob": 0},
    {"type": "resize", "to": "lr", "prob": [0, 0, 1]},
    {"type": "noise", "gaussian_prob": 1.0, "sigma": [1, 3], "gray_prob": 0.0},
]
TINY_NETWORK: dict[str, Any] = {"type": "rrdbnet", "num_feat": 8, "num_block": 1, "num_grow_ch": 8}
TEST_ENV = TEST_ENV_VAR  # set by esrgan's own suite; a plugin check clears it so third-party plugins load


def tiny_config(root: str | Path, *, stages: Sequence[dict[str, Any]] = (), losses: Sequence[dict[str, Any]] = (),
                iters: int = 3, plugins: Sequence[str] = (), **top: Any) -> dict[str, Any]:
    """Config data of a one-stage ESRNet run under ``root`` (tiny RRDBNet, 32 px patches, 3 photos).

    ``stages`` are appended to a light degradation (blur, resize to LR, noise); ``losses`` to ``l1``;
    ``top`` replaces top-level keys. The run is named ``tiny``, its stage ``esrnet``; a high learning
    rate and ``ema_decay: 0`` make its three steps leave a model that upscales to a non-black image."""
    esrnet = {"type": "esrnet", "name": "esrnet", "network_g": dict(TINY_NETWORK),
              "train": {"total_iter": iters, "losses": [{"type": "l1"}, *map(dict, losses)], "optim_g": {"lr": 2e-2},
                        "ema_decay": 0}}
    data: dict[str, Any] = {
        "name": "tiny", "scale": 4, "seed": 0, "experiments_root": str(root),
        "datasets": {"train": {"dataset": {"type": "skimage_photos", "only": ["chelsea", "coffee", "rocket"],
                                           "patch_size": 48}, "batch_size_per_gpu": 2}},
        "degradation": [*copy.deepcopy(LIGHT_DEGRADATION), *map(dict, stages)], "gt_size": 32, "queue_size": 4,
        "logger": {"print_freq": 1, "save_checkpoint_freq": 1000}, "stages": [esrnet],
    }
    if plugins:
        data["plugins"] = list(plugins)
    data.update(top)
    return data


@contextmanager
def _only_plugin(name: str) -> Iterator[None]:
    """Third-party plugins restricted to ``name`` while a host is built (built-ins always load)."""
    saved = {k: os.environ.get(k) for k in (ENV_VAR, TEST_ENV)}
    os.environ[ENV_VAR] = name
    os.environ.pop(TEST_ENV, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def plugin_host(entry_point: str | None = None, *, modules: Sequence[tuple[str, object]] = ()) -> PluginHost:
    """A host with the built-ins and one plugin: the installed ``entry_point`` (AssertionError when it
    is not installed or failed to load), or ``modules`` registered directly (``(name, module)``)."""
    if entry_point is None:
        return load_plugins(extra_plugins=list(modules))
    with _only_plugin(entry_point):
        host = load_plugins(extra_plugins=list(modules))
    info = {i.name: i for i in host.infos}.get(entry_point)
    assert info is not None, f"no entry point {entry_point!r} in group 'esrgan': is the package installed?"
    assert info.status == "loaded", f"plugin {entry_point!r} {info.status}: {info.error}"
    return host


def discovered(entry_point: str, *, cwd: str | Path | None = None) -> dict[str, Any]:
    """The ``esrgan-run plugins --json`` row of ``entry_point``, from a fresh interpreter (so only an
    installed distribution's entry point can find it)."""
    env = {k: v for k, v in os.environ.items() if k != TEST_ENV}
    env[ENV_VAR] = entry_point
    out = subprocess.run([sys.executable, "-m", "esrgan_core.cli", "plugins", "--json"], capture_output=True,
                         text=True, env=env, cwd=cwd, timeout=300)
    assert out.returncode == 0, f"esrgan-run plugins --json exited {out.returncode}: {out.stderr}"
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert entry_point in rows, f"esrgan-run plugins does not list {entry_point!r} (found: {', '.join(rows)})"
    return rows[entry_point]


def run(data: dict[str, Any], host: PluginHost | None = None, *, overrides: Sequence[str] = ()) -> Path:
    """Run config data (through :func:`esrgan_core.context.run_config`, as ``esrgan-run`` does) with
    ``host`` (default: :func:`load_plugins`); AssertionError unless it exits 0. Returns the run folder
    ``experiments_root/name``."""
    factory = (lambda mods: host) if host is not None else load_plugins
    cfg, used = build_config(data, overrides=list(overrides), host_factory=factory)
    code = run_config(cfg, used)
    assert code == 0, f"the run exited {code}"
    return Path(data.get("experiments_root", ".")) / str(data.get("name", ""))


def _default_spec(host: PluginHost, kind: str, name: str) -> ComponentSpec:
    entry = host.registries[kind].get(name)
    params = from_dict(entry.params, {}, path=name, registries=host.registries) if entry.params is not None else None
    return ComponentSpec(kind, name, params, name, entry.factory)


def _finite(value: Any) -> bool:
    return bool(torch.isfinite(torch.as_tensor(value, dtype=torch.float64)).all())


def _check_stage(stage: Any, name: str) -> None:
    gt = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    outs = [stage(DegradationBatch.from_gt(gt.clone(), 1), torch.Generator().manual_seed(1)) for _ in range(2)]
    for out in outs:
        assert isinstance(out, DegradationBatch), f"stage {name!r} returned {type(out).__name__}, not a DegradationBatch"
        lqs = out.lq if out.ragged else list(out.lq)
        assert len(lqs) == 2 and all(float(t.min()) >= 0 and float(t.max()) <= 1 for t in lqs), \
            f"stage {name!r}: lq must stay RGB float in [0, 1], one image per sample"
        assert torch.equal(out.gt, gt), f"stage {name!r} changed gt"
    same = all(torch.equal(a, b) for a, b in zip(outs[0].lq, outs[1].lq))
    assert same, f"stage {name!r} is not reproducible: its randomness must come from the generator it is given"


def _check_loss(loss: Any, name: str) -> None:
    unknown = sorted(set(loss.inputs) - set(LOSS_INPUTS))
    assert not unknown, f"loss {name!r} reads {unknown}, which no trainer provides ({', '.join(LOSS_INPUTS)})"
    rng = torch.Generator().manual_seed(0)
    tensors = {k: torch.rand(2, 3, 32, 32, generator=rng) for k in LOSS_INPUTS if k != "fake_logits"}
    tensors["lq"] = torch.rand(2, 3, 8, 8, generator=rng)
    tensors["fake_logits"] = torch.randn(2, 1, 8, 8, generator=rng)
    tensors["sr"].requires_grad_(True)
    terms = loss(**{k: tensors[k] for k in loss.inputs})
    assert isinstance(terms, dict), f"loss {name!r} returned {type(terms).__name__}, not a dict of terms"
    for term, value in terms.items():
        assert torch.is_tensor(value) and value.ndim == 0 and _finite(value.detach()), \
            f"loss {name!r}: term {term!r} must be a finite scalar tensor"
    if terms and "sr" in loss.inputs:
        sum(terms.values()).backward()
        assert tensors["sr"].grad is not None, f"loss {name!r}: no gradient reaches sr"


def _check_augmentation(aug: Any, name: str) -> None:
    rng = torch.Generator().manual_seed(0)
    pair = {"lq": torch.rand(2, 3, 8, 8, generator=rng), "gt": torch.rand(2, 3, 32, 32, generator=rng)}
    outs = [aug(dict(pair), torch.Generator().manual_seed(1)) for _ in range(2)]
    for out in outs:
        ratio = (out["gt"].shape[-2] / out["lq"].shape[-2], out["gt"].shape[-1] / out["lq"].shape[-1])
        assert ratio == (4, 4), f"augmentation {name!r} broke the lq/gt alignment: gt is {ratio} times lq"
    assert all(torch.equal(outs[0][k], outs[1][k]) for k in ("lq", "gt")), \
        f"augmentation {name!r} is not reproducible: its randomness must come from the generator it is given"


def _check_network(host: PluginHost, spec: ComponentSpec) -> None:
    net = host.registries["networks"].build_checked(spec)
    facts = describe_network(spec.factory, spec.params)
    assert isinstance(net, torch.nn.Module), f"network {spec.type!r} built a {type(net).__name__}, not a torch.nn.Module"
    size = 16 * int(facts.get("size_multiple", 1) or 1)
    with torch.no_grad():
        out = net.eval()(torch.rand(1, int(facts["in_channels"]), size, size))
    scale = facts["scale"]
    expected = (1, int(facts["out_channels"]), int(size * scale), int(size * scale))
    assert tuple(out.shape) == expected, f"network {spec.type!r}: output {tuple(out.shape)}, describe() says {expected}"


def _check_metric(metric: Any, name: str) -> None:
    rng = torch.Generator().manual_seed(0)
    hr = torch.rand(24, 24, 3, generator=rng).numpy()
    sr = (torch.as_tensor(hr) * 0.9).numpy()
    value = metric(sr, hr) if getattr(metric, "per_image", True) else metric.compute([sr, sr], [hr, hr])
    assert isinstance(value, float) or _finite(value), f"metric {name!r} returned {value!r}, not a number"
    assert _finite(value) and not math.isnan(float(value)), f"metric {name!r} returned {value!r}"


def check_components(host: PluginHost, plugin: str) -> list[str]:
    """Check every component ``plugin`` registered in ``host``: what ``register`` checks, then the
    object built with default params (``esrgan_core.contracts``), then one small call of each stage,
    loss, augmentation, network and metric. Returns ``["kind/name", ...]``; AssertionError names the
    first component that fails. Datasets, trainers and tasks need a config: run them with :func:`run`."""
    provided = host.registries.provided_by(plugin)
    assert provided, f"plugin {plugin!r} registered nothing (loaded: {', '.join(i.name for i in host.infos)})"
    checked = []
    for kind, names in provided.items():
        for name in names:
            entry = host.registries[kind].get(name)
            check_registration(kind, name, entry.factory, entry.params, plugin)
            spec = _default_spec(host, kind, name)
            if kind == "networks":
                _check_network(host, spec)
            elif kind in ("degradations", "losses", "augmentations", "metrics"):
                obj = host.registries[kind].build(spec)
                check_built(kind, name, obj, plugin)
                {"degradations": _check_stage, "losses": _check_loss, "augmentations": _check_augmentation,
                 "metrics": _check_metric}[kind](obj, name)
            checked.append(f"{kind}/{name}")
    return checked


try:  # the fixtures, for `pytest_plugins = ["esrgan_core.testing"]`
    import pytest
except ImportError:  # pragma: no cover - plain use without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def esrgan_tiny_config(tmp_path: Path) -> dict[str, Any]:
        """:func:`tiny_config` under ``tmp_path``."""
        return tiny_config(tmp_path)

    @pytest.fixture
    def esrgan_run() -> Any:
        """:func:`run`: ``esrgan_run(data, host=None) -> run folder``."""
        return run


__all__ = ["LIGHT_DEGRADATION", "TINY_NETWORK", "check_components", "discovered", "plugin_host", "run", "tiny_config"]
