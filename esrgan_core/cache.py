"""The one cache folder of esrgan (converted models, FID statistics, degraded test sets).

``$ESRGAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/esrgan``, else ``~/.cache/esrgan``; each user of the
cache gets its own sub-folder.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ESRGAN_CACHE_DIR"


def cache_dir(sub: str) -> Path:
    """``<cache root>/<sub>`` (not created)."""
    root = os.environ.get(ENV_VAR) or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "esrgan")
    return Path(root) / sub
