"""``logs/metrics.jsonl``: one JSON object per line, flushed per line, resumable; and its curves.

Each record is ``{"iter": N, "kind": "train" | "val", <name>: <number>, ...}``. Values are written
with Python's float ``repr`` so reading gives back exactly the logged numbers (non-finite values are
written as ``NaN``/``Infinity``, which :func:`read_metrics` reads back).
A crash can at worst leave a partial last line; readers skip unparsable lines and
:meth:`MetricsLog.resume` drops them together with every record newer than the resumed iteration.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import IO, Any, Literal, Mapping

from esrgan_core.atomic import atomic_path, atomic_write_text
from esrgan_core.runlayout import METRICS_FILE

log = logging.getLogger(__name__)

Kind = Literal["train", "val"]
# Train keys drawn in their own panels rather than with the losses.
AUX_PREFIXES = ("lr", "time", "data_time", "compute_time", "it_s", "iter_time", "samples_s", "mem")


def _number(value: Any) -> float | int:
    if hasattr(value, "item"):  # torch / numpy scalar
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"metric values must be numbers, got {type(value).__name__}")
    return value


class MetricsLog:
    """Append-only writer of ``logs_dir/metrics.jsonl``.

    Call :meth:`resume` with the resumed iteration before logging when continuing a run.
    """

    def __init__(self, logs_dir: Path) -> None:
        self.path = Path(logs_dir) / METRICS_FILE
        self._fh: IO[str] | None = None

    def resume(self, iteration: int) -> int:
        """Drop records with ``iter > iteration`` (and partial lines); return how many were dropped."""
        self.close()
        if not self.path.exists():
            return 0
        kept, dropped = [], 0
        for line in self.path.read_text(encoding="utf-8").splitlines():
            rec = _parse(line)
            if rec is None or rec["iter"] > iteration:
                dropped += 1
                continue
            kept.append(line + "\n")
        if dropped:
            atomic_write_text(self.path, "".join(kept))
            log.info("metrics log %s: dropped %d record(s) after iteration %d", self.path, dropped, iteration)
        return dropped

    def log(self, iteration: int, kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
        """Append one record and flush it; returns the record written."""
        if kind not in ("train", "val"):
            raise ValueError(f"kind must be 'train' or 'val', got {kind!r}")
        rec: dict[str, Any] = {"iter": int(iteration), "kind": kind}
        for key, value in values.items():
            if key in ("iter", "kind"):
                raise ValueError(f"metric name {key!r} is reserved")
            rec[str(key)] = _number(value)
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(rec) + "\n")
        self._fh.flush()
        return rec

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> MetricsLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse(line: str) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    if not isinstance(rec, dict) or not isinstance(rec.get("iter"), int) or rec.get("kind") not in ("train", "val"):
        return None
    return rec


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """All well-formed records of a metrics.jsonl file, in file order (partial lines skipped)."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        rec = _parse(line)
        if rec is None:
            if line.strip():
                log.warning("%s:%d: skipping unreadable metrics line", path, n)
            continue
        records.append(rec)
    return records


def series(records: list[dict[str, Any]], kind: Kind, key: str) -> tuple[list[int], list[float]]:
    """Iterations and values of one quantity (records lacking it are skipped)."""
    pts = [(r["iter"], r[key]) for r in records if r["kind"] == kind and isinstance(r.get(key), (int, float))]
    return [p[0] for p in pts], [p[1] for p in pts]


def _keys(records: list[dict[str, Any]], kind: Kind) -> list[str]:
    seen: dict[str, None] = {}
    for r in records:
        if r["kind"] == kind:
            seen.update((k, None) for k in r if k not in ("iter", "kind"))
    return list(seen)


def _panels(records: list[dict[str, Any]]) -> list[tuple[str, Kind, list[str]]]:
    train = _keys(records, "train")
    aux = [k for k in train if k.startswith(AUX_PREFIXES)]
    losses = [k for k in train if k not in aux]
    panels: list[tuple[str, Kind, list[str]]] = []
    if losses:
        panels.append(("training losses", "train", losses))
    rates = [k for k in train if k.startswith("lr")]
    if rates:
        panels.append(("learning rate", "train", rates))
    panels += [(f"validation: {k}", "val", [k]) for k in _keys(records, "val")]
    return panels


def plot_curves(jsonl_path: Path, png_path: Path) -> Path:
    """Draw loss, learning-rate and validation-metric curves into a PNG (written atomically).

    One panel for the training losses (log scale when all positive), one for ``lr``, and one per
    validation metric. Returns ``png_path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    records = read_metrics(Path(jsonl_path))
    panels = _panels(records) or [("no metrics logged yet", "train", [])]
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(6 * cols, 3.5 * rows), dpi=100)
    FigureCanvasAgg(fig)
    for i, (title, kind, keys) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        positive = True
        for key in keys:
            xs, ys = series(records, kind, key)
            ax.plot(xs, ys, label=key, marker="o" if kind == "val" else None, markersize=3, linewidth=1)
            positive = positive and all(y > 0 and math.isfinite(y) for y in ys)
        if keys and positive and kind == "train":
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("iteration")
        ax.grid(True, alpha=0.3)
        if len(keys) > 1:
            ax.legend(fontsize="small")
    fig.tight_layout()
    png_path = Path(png_path)
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png")
    return png_path
