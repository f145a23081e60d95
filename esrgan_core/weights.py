"""Locate pretrained backbone weights (VGG19, AlexNet/LPIPS, FID Inception) on this machine.

Nothing is downloaded. A file is looked for, in order: at the path the config gives, in the
folder named by ``ESRGAN_WEIGHTS_DIR``, and in torch hub's cache (``$TORCH_HOME/hub/checkpoints``,
default ``~/.cache/torch/hub/checkpoints``). If it is in none of them, :class:`MissingWeightsError`
says which file to put where.
"""

from __future__ import annotations

import os
from pathlib import Path

from esrgan_core.errors import MissingWeightsError

ENV_DIR = "ESRGAN_WEIGHTS_DIR"


def hub_checkpoints_dir() -> Path:
    """torch hub's checkpoint cache folder (without importing torch)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints"


def candidate_paths(filename: str, configured: str | Path | None = None) -> list[Path]:
    out: list[Path] = []
    if configured:
        out.append(Path(configured).expanduser())
    if os.environ.get(ENV_DIR):
        out.append(Path(os.environ[ENV_DIR]).expanduser() / filename)
    out.append(hub_checkpoints_dir() / filename)
    return out


def find_weights(filename: str, *, purpose: str, configured: str | Path | None = None, config_key: str = "") -> Path:
    """The first existing candidate for ``filename``; otherwise a one-line MissingWeightsError.

    ``purpose`` says what needs it (e.g. "VGG19 for the perceptual loss"); ``config_key`` names
    the config key that can point at the file.
    """
    paths = candidate_paths(filename, configured)
    for p in paths:
        if p.is_file():
            return p
    if configured:
        raise MissingWeightsError(
            f"{purpose}: weights file {configured} does not exist (expected the file {filename})"
        )
    key = f", or set {config_key} to its path" if config_key else ""
    raise MissingWeightsError(
        f"{purpose} needs the pretrained weights file {filename}, which is not on this machine and is "
        f"never downloaded: copy it to {hub_checkpoints_dir() / filename} (torch hub cache) or into "
        f"${ENV_DIR}{key}"
    )
