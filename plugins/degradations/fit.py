"""Fit a recipe's ranges to real LR images (``esrgan-run fit-degradation``), minimising the realism distance.

Search space: every stage of the base recipe (also inside ``random_order`` / ``one_of``) whose type
is in :data:`SPACE` contributes its range keys (noise sigma / Poisson scale, JPEG / codec quality,
blur sigma, resize range, camera shot noise, ...) and, for codec stages, which codec / format.
A range is coded as (centre, half-width) in [0, 1] of its domain (log scale where marked).

Search (seeded, documented): ``candidates`` random points (the base recipe is the first), then
``rounds`` of a (1+lambda) evolution strategy: ``lambda`` Gaussian perturbations of the best point
with a step that shrinks by 0.6 per round. Every candidate is scored with the same HR crops and the
same generator seed (common random numbers), so differences come from the ranges, not from luck.
The written ranges are the best candidate's, widened to cover the centres of every candidate that
scored within ``tolerance`` (relative, default 0.2) of the best: values the data cannot tell apart stay inside.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable, Iterator

import attrs
import numpy as np

from esrgan_core.registry import Registries

# type -> key -> (domain lo, domain hi, scale): the searched range keys
SPACE: dict[str, dict[str, tuple[float, float, str]]] = {
    "blur": {"sigma": (0.1, 4.0, "lin")},
    "resize": {"range": (0.1, 1.5, "lin")},
    "noise": {"sigma": (0.0, 40.0, "lin"), "poisson_scale": (0.0, 3.5, "lin")},
    "jpeg": {"quality": (5.0, 100.0, "lin")},
    "video_codec": {"crf": (10.0, 51.0, "lin"), "qscale": (1.0, 31.0, "lin")},
    "image_codec": {"quality": (1.0, 100.0, "lin")},
    "camera": {"shot_noise": (1e-5, 0.03, "log")},
    "motion_blur": {"length": (0.0, 20.0, "lin")},
    "defocus_blur": {"radius": (0.1, 6.0, "lin")},
    "sharpen_halo": {"amount": (0.0, 3.0, "lin")},
}
CHOICES = {"video_codec": "codecs", "image_codec": "formats"}  # categorical: one entry of the base list
MAX_HALF = 0.25  # the widest half-width a random candidate gets (fraction of the domain)


@attrs.frozen
class Dim:
    """One searched value: a range key (two coordinates) or a choice (one coordinate)."""

    where: tuple[Any, ...]  # path of the stage dict inside the stage list
    key: str
    lo: float = 0.0
    hi: float = 1.0
    scale: str = "lin"
    options: tuple[Any, ...] = ()

    @property
    def size(self) -> int:
        return 1 if self.options else 2

    def label(self, stages: list[dict[str, Any]]) -> str:
        st = _at(stages, self.where)
        return f"{st.get('name') or st['type']}.{self.key}"


def _walk(stages: list[dict[str, Any]], prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    for i, st in enumerate(stages):
        yield (*prefix, i), st
        for key in ("groups", "choices"):
            for j, group in enumerate(st.get(key) or []):
                yield from _walk(group, (*prefix, i, key, j))


def _at(stages: list[dict[str, Any]], where: tuple[Any, ...]) -> dict[str, Any]:
    node: Any = stages
    for k in where:
        node = node[k]
    return node


def _default(registries: Registries, stage_type: str, key: str) -> Any:
    params = registries["degradations"].get(stage_type).params
    return attrs.fields_dict(params)[key].default


def search_space(stages: list[dict[str, Any]], registries: Registries) -> list[Dim]:
    dims: list[Dim] = []
    for where, st in _walk(stages):
        t = st.get("type")
        for key, (lo, hi, scale) in SPACE.get(t, {}).items():
            if key not in st and t == "resize":
                continue  # resize without a range (the final to-LR resize) has nothing to fit
            gp = st.get("gaussian_prob", _default(registries, t, "gaussian_prob")) if t == "noise" else None
            if (key == "sigma" and gp == 0) or (key == "poisson_scale" and gp == 1):
                continue  # that kind of noise is never drawn
            dims.append(Dim(where, key, lo, hi, scale))
        if t in CHOICES:
            opts = tuple(st.get(CHOICES[t], _default(registries, t, CHOICES[t])))
            if len(opts) > 1:
                dims.append(Dim(where, CHOICES[t], options=opts))
    return dims


def _to_unit(d: Dim, v: float) -> float:
    if d.scale == "log":
        return (math.log(max(v, d.lo)) - math.log(d.lo)) / (math.log(d.hi) - math.log(d.lo))
    return (v - d.lo) / (d.hi - d.lo)


def _from_unit(d: Dim, u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    if d.scale == "log":
        return math.exp(math.log(d.lo) + u * (math.log(d.hi) - math.log(d.lo)))
    return d.lo + u * (d.hi - d.lo)


def encode(stages: list[dict[str, Any]], dims: list[Dim], registries: Registries) -> np.ndarray:
    """The base recipe as a point (centre, half-width per range; index fraction per choice)."""
    out: list[float] = []
    for d in dims:
        st = _at(stages, d.where)
        if d.options:
            out.append(0.999)  # placeholder: the base point is decoded with keep_choices (its whole list)
            continue
        lo, hi = st.get(d.key, _default(registries, st["type"], d.key))
        a, b = _to_unit(d, lo), _to_unit(d, hi)
        out += [(a + b) / 2, (b - a) / 2]
    return np.array(out)


def decode(x: np.ndarray, stages: list[dict[str, Any]], dims: list[Dim], keep_choices: bool = False) -> list[dict[str, Any]]:
    """The stage list for point ``x`` (ranges rounded to 4 significant digits)."""
    out = copy.deepcopy(stages)
    i = 0
    for d in dims:
        st = _at(out, d.where)
        if d.options:
            if not keep_choices:
                st[d.key] = [d.options[min(int(x[i] * len(d.options)), len(d.options) - 1)]]
                for k in ("codec_prob", "format_prob"):
                    st.pop(k, None)
            i += 1
            continue
        c, h = float(x[i]), abs(float(x[i + 1]))
        lo, hi = _from_unit(d, c - h), _from_unit(d, c + h)
        st[d.key] = [float(f"{lo:.4g}"), float(f"{max(hi, lo):.4g}")]
        i += 2
    return out


@attrs.frozen
class FitResult:
    stages: list[dict[str, Any]]
    best: float
    base: float
    history: list[dict[str, Any]]
    labels: list[str]


def search(score: Callable[[list[dict[str, Any]]], float], stages: list[dict[str, Any]], registries: Registries, *,
           candidates: int = 24, rounds: int = 3, per_round: int = 6, seed: int = 0, tolerance: float = 0.2) -> FitResult:
    """Random search + (1+lambda)-ES over the ranges of ``stages``; see the module docstring."""
    dims = search_space(stages, registries)
    rng = np.random.default_rng(seed)
    base_x = encode(stages, dims, registries)
    history: list[dict[str, Any]] = []

    def evaluate(x: np.ndarray, keep: bool = False) -> float:
        value = score(decode(x, stages, dims, keep_choices=keep))
        history.append({"x": x.copy(), "value": value})
        return value

    base = evaluate(base_x, keep=True)
    best_x, best = base_x, base
    for _ in range(max(0, candidates - 1)):
        x = _random_point(rng, dims)
        v = evaluate(x)
        if v < best:
            best_x, best = x, v
    for r in range(rounds):
        step = 0.15 * 0.6**r
        for _ in range(per_round):
            x = best_x + rng.normal(0, step, size=best_x.shape)
            x = np.clip(x, 0, 1)
            v = evaluate(x)
            if v < best:
                best_x, best = x, v
    final = decode(_widen(best_x, best, history, dims, tolerance), stages, dims, keep_choices=best_x is base_x)
    return FitResult(final, best, base, history, [d.label(stages) for d in dims])


def _random_point(rng: np.random.Generator, dims: list[Dim]) -> np.ndarray:
    out: list[float] = []
    for d in dims:
        out += [rng.random()] if d.options else [rng.random(), rng.random() * MAX_HALF]
    return np.array(out)


def _widen(best_x: np.ndarray, best: float, history: list[dict[str, Any]], dims: list[Dim], tolerance: float) -> np.ndarray:
    """Grow each range of ``best_x`` to cover the centres of the candidates within ``tolerance`` of the best."""
    near = [h["x"] for h in history if h["value"] <= best + tolerance * abs(best)]
    x = best_x.copy()
    i = 0
    for d in dims:
        if d.options:
            i += 1
            continue
        lo = min([x[i] - abs(x[i + 1])] + [h[i] for h in near])
        hi = max([x[i] + abs(x[i + 1])] + [h[i] for h in near])
        x[i], x[i + 1] = (lo + hi) / 2, (hi - lo) / 2
        i += 2
    return x
