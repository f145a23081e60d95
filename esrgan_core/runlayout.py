"""The run folder: every file name of a training run, in one place for all readers and writers.

::

    <experiments_root>/<name>/            RunLayout
      config.yml                          the resolved config as run
      compare/                            the final side-by-side comparison
      <stage>/                            StageLayout (one per stage, named by the stage)
        DONE                              written when the stage completed
        models/net_g_<tag>.pth            {'params': G, 'params_ema': EMA} (BasicSR / Real-ESRGAN)
        models/net_g_ema_<tag>.safetensors  EMA weights + metadata naming the architecture
        models/net_d_<tag>.pth            {'params': D}
        state/<iteration>/                training states (see the training plugin's state store)
        logs/metrics.jsonl, logs/train.log, logs/curves.png
        visualization/                    validation images

``<tag>`` is the iteration number, or ``latest`` for the files written at the end of a stage.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

LATEST = "latest"
STATE_DIR = "state"
METRICS_FILE = "metrics.jsonl"
EMA_EXPORT_RE = re.compile(r"^net_g_ema_(latest|\d+)\.safetensors$")


@attrs.frozen
class StageLayout:
    """The folder of one stage and the names inside it."""

    dir: Path

    @property
    def name(self) -> str:
        return self.dir.name

    @property
    def models(self) -> Path:
        return self.dir / "models"

    @property
    def state(self) -> Path:
        return self.dir / STATE_DIR

    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    @property
    def visualization(self) -> Path:
        return self.dir / "visualization"

    @property
    def done_file(self) -> Path:
        return self.dir / "DONE"

    @property
    def metrics_file(self) -> Path:
        return self.logs / METRICS_FILE

    @property
    def train_log(self) -> Path:
        return self.logs / "train.log"

    @property
    def curves(self) -> Path:
        return self.logs / "curves.png"

    def net_g(self, tag: str | int = LATEST) -> Path:
        """``net_g_<tag>.pth``: generator and EMA weights."""
        return self.models / f"net_g_{tag}.pth"

    def net_g_ema(self, tag: str | int = LATEST) -> Path:
        """``net_g_ema_<tag>.safetensors``: the EMA export other tools load."""
        return self.models / f"net_g_ema_{tag}.safetensors"

    def net_d(self, tag: str | int = LATEST) -> Path:
        """``net_d_<tag>.pth``: discriminator weights."""
        return self.models / f"net_d_{tag}.pth"

    def ema_exports(self) -> list[Path]:
        """The EMA exports present in ``models/`` (any tag)."""
        return [p for p in self.models.glob("*.safetensors") if EMA_EXPORT_RE.match(p.name)]


def export_tag_key(path: Path) -> tuple[int, int]:
    """Sort key of an EMA export: ``latest`` after every numbered one, numbers in order."""
    tag = EMA_EXPORT_RE.match(path.name).group(1)  # type: ignore[union-attr]
    return (1, 0) if tag == LATEST else (0, int(tag))


@attrs.frozen
class RunLayout:
    """A run folder ``<experiments_root>/<name>``."""

    root: Path

    @classmethod
    def of(cls, experiments_root: str | Path, name: str) -> RunLayout:
        return cls(Path(experiments_root) / name)

    @property
    def config(self) -> Path:
        return self.root / "config.yml"

    @property
    def compare(self) -> Path:
        return self.root / "compare"

    def stage(self, name: str) -> StageLayout:
        return StageLayout(self.root / name)

    def stages_present(self) -> list[StageLayout]:
        """Stage folders found on disk (those holding a ``models/`` folder), plus the root itself when
        it is a stage folder; sorted by name."""
        found = [StageLayout(p) for p in sorted(self.root.iterdir()) if (p / "models").is_dir()] if self.root.is_dir() else []
        return found + ([StageLayout(self.root)] if (self.root / "models").is_dir() else [])
