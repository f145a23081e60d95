"""Getting the network to upscale with: load a model reference, optionally interpolate two models.

Interpolation mixes the weights of two compatible models (same architecture, same state-dict keys
and shapes): ``(1 - w) * model + w * model2``. For Real-ESRGAN's realesr-general pair,
``denoise_strength`` d gives ``d * realesr-general-x4v3 + (1 - d) * realesr-general-wdn-x4v3``
(d = 1: the plain model, strong denoising; d = 0: the weak-denoise model), as ``dni`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import attrs
import torch

from esrgan_core.errors import ConfigError, ModelFileError

GENERAL = "realesr-general-x4v3"
GENERAL_WDN = "realesr-general-wdn-x4v3"


def interpolate_state_dicts(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor], weight: float, *,
                            names: tuple[str, str] = ("model", "model2")) -> dict[str, torch.Tensor]:
    """``(1 - weight) * a + weight * b`` for every floating tensor; other tensors must be equal.

    Raises ModelFileError naming the first key that is missing or differs in shape.
    """
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        key, where = (only_a[0], names[0]) if only_a else (only_b[0], names[1])
        raise ModelFileError(f"models cannot be interpolated: key {key!r} exists only in {where} "
                             f"({len(only_a) + len(only_b)} keys differ)", file=names[1])
    out: dict[str, torch.Tensor] = {}
    for key, ta in a.items():
        tb = b[key]
        if ta.shape != tb.shape:
            raise ModelFileError(f"models cannot be interpolated: {key!r} has shape {tuple(ta.shape)} in {names[0]} "
                                 f"but {tuple(tb.shape)} in {names[1]}", file=names[1])
        if ta.is_floating_point():
            out[key] = ((1.0 - weight) * ta.double() + weight * tb.double()).to(ta.dtype)
        else:
            out[key] = ta.clone()
    return out


def general_pair(model: str, model2: str | None, denoise_strength: float) -> tuple[str, str, float]:
    """(model, model2, weight of model2) for ``denoise_strength`` on the realesr-general pair.

    ``model2`` defaults to the wdn file next to ``model`` (its name with ``-wdn`` inserted).
    """
    if model2 is None:
        name = Path(model).name
        if GENERAL not in name:
            raise ConfigError(f"denoise_strength needs the {GENERAL} model (or model2 naming the weak-denoise "
                              f"model); got {model!r}", path="denoise_strength")
        model2 = str(Path(model).with_name(name.replace(GENERAL, GENERAL_WDN)))
    return model, model2, 1.0 - denoise_strength


def load_network(model: str, model2: str | None = None, weight: float | None = None) -> Any:
    """A ``LoadedModel`` for ``model``; with ``model2`` its weights are interpolated by ``weight``."""
    from esrgan_core.modelfiles.loader import load_model

    loaded = load_model(model)
    if model2 is None or weight is None:
        return loaded
    other = load_model(model2)
    da, db = loaded.description, other.description
    if (da.architecture, da.scale) != (db.architecture, db.scale) or type(loaded.network) is not type(other.network):
        raise ModelFileError(f"models cannot be interpolated: {model} is {da.architecture} x{da.scale}, "
                             f"{model2} is {db.architecture} x{db.scale}", file=model2)
    mixed = interpolate_state_dicts(loaded.network.state_dict(), other.network.state_dict(), weight,
                                    names=(str(model), str(model2)))
    loaded.network.load_state_dict(mixed)
    source = f"{da.source or model} * {1 - weight:g} + {db.source or model2} * {weight:g}"
    return attrs.evolve(loaded, description=attrs.evolve(da, source=source))
