"""Preflight checks of a stage's models and losses (see :mod:`.preflight`)."""

from __future__ import annotations

from typing import Any

from esrgan_core.preflight import Findings

Shapes = dict[str, tuple[int, ...]]


def shapes_of(spec: Any, registries: Any, key: str, findings: Findings) -> Shapes | None:
    """``{state-dict key: shape}`` of the network ``spec`` builds (on the meta device: no memory)."""
    import torch

    with findings.check(key):
        try:
            with torch.device("meta"):
                net = spec.build(registries)
        except (NotImplementedError, RuntimeError):  # a network whose set-up computes on real tensors
            net = spec.build(registries)
        return {k: tuple(v.shape) for k, v in net.state_dict().items()}
    return None


def fit_problems(own: Shapes, state: Any) -> tuple[list[str], list[str], list[str]]:
    """(shape mismatches, keys missing from the file, keys the network does not have)."""
    from esrgan_core.modelfiles.fit import fit_shapes

    report = fit_shapes(own, state, source="")
    mismatch = [f"{k} {tuple(state[k].shape)} vs {own[k]}" for k in report.shape_mismatch]
    return mismatch, list(report.missing), list(report.unexpected)


def _fit_message(mismatch: list[str], missing: list[str], unexpected: list[str]) -> str:
    parts = []
    for label, items in (("shape mismatch", mismatch), ("missing", missing), ("not in the network", unexpected)):
        if items:
            parts.append(f"{len(items)} {label} (first: {items[0]})")
    return "; ".join(parts)


def check_pretrained(ref: str | None, param_key: str, strict: bool, own: Shapes, key: str, which: str,
                     findings: Findings) -> None:
    """The pretrained file: readable, finite, ``param_key`` present, and its tensors fit ``own``."""
    if ref is None:
        return
    from esrgan_core.modelfiles.loader import read_state_dict

    with findings.check(f"{key}.pretrain_network_{which}"):
        state, source = read_state_dict(ref, param_key)
        mismatch, missing, unexpected = fit_problems(own, state)
        if strict and (mismatch or missing or unexpected):
            findings.add(f"{key}.pretrain_network_{which}",
                         f"{source} does not fit network_{which}: {_fit_message(mismatch, missing, unexpected)}; "
                         f"a file of another architecture? (strict_load_{which}: false loads what fits)")
        elif len(missing) + len(mismatch) == len(own):
            findings.add(f"{key}.pretrain_network_{which}", f"{source}: no tensor fits network_{which}")


def check_handoff(previous: Shapes, own: Shapes, prev_name: str, key: str, findings: Findings) -> None:
    """A stage without pretrained weights starts from the previous stage's EMA: it must fit."""
    mismatch, missing, unexpected = fit_problems(own, {k: _Shape(v) for k, v in previous.items()})
    if mismatch or missing or unexpected:
        findings.add(key, f"cannot start from stage {prev_name!r}'s EMA weights: "
                          f"{_fit_message(mismatch, missing, unexpected)}; use the same network or set "
                          "path.pretrain_network_g / path.init_from_previous: false")


class _Shape:
    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


def loss_weights(params: Any) -> list[float]:
    """The numeric ``weight`` / ``*_weight`` options of a loss (empty when it has none)."""
    import attrs

    if params is None or not attrs.has(type(params)):
        return []
    out = []
    for f in attrs.fields(type(params)):
        value = getattr(params, f.name)
        if (f.name == "weight" or f.name.endswith("_weight")) and isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(float(value))
    return out


def check_losses(specs: tuple[Any, ...], registries: Any, key: str, *, gan: bool, findings: Findings) -> None:
    """Something to train, the adversarial loss of a GAN stage, feature-network weights present."""
    enabled, adversarial = [], []
    for i, spec in enumerate(specs):
        weights = loss_weights(spec.params)
        on = not weights or any(w > 0 for w in weights)
        enabled.append(on)
        if getattr(registries["losses"].get(spec.type).factory, "adversarial", False):
            adversarial.append((i, on))
        if on:
            check_feature_weights(spec, f"{key}[{i}]", findings)
    if specs and not any(enabled):
        findings.add(key, "every loss has weight 0: nothing would be trained")
    if gan and not adversarial:
        findings.add(key, "an esrgan stage needs an adversarial loss (e.g. {type: gan, weight: 0.1})")
    elif gan and not any(on for _, on in adversarial):
        findings.add(f"{key}[{adversarial[0][0]}].weight", "the adversarial loss of an esrgan stage needs a weight > 0")
    elif gan and len(adversarial) > 1:
        findings.add(key, f"an esrgan stage takes exactly one adversarial loss, found {len(adversarial)}")


def check_feature_weights(spec: Any, key: str, findings: Findings) -> None:
    """Files the loss needs on this machine (e.g. a pretrained backbone): its params' own
    ``preflight()`` (see esrgan_core.contracts), so the loss alone decides what it needs."""
    check = getattr(spec.params, "preflight", None)
    if callable(check):
        with findings.check(f"{key}.weights_path"):
            check()
