"""``paired_folder``: ready-made (GT, LQ) pairs, matched by file name (BasicSR PairedImageDataset).

A GT file ``sub/NAME.ext`` pairs with the LQ file ``sub/<filename_tmpl with NAME>.<any ext>`` under
``dataroot_lq``. Items are ``{"gt", "lq": CHW RGB float32 [0,1] tensors, "gt_path", "lq_path"}``;
with ``gt_size`` set, a paired random crop (GT ``gt_size``, LQ ``gt_size/scale``) then the same
flips on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import torch

from esrgan_core.degradation.crop import crop_pair_hwc
from esrgan_core.errors import DataError, ParamError
from esrgan_core.images import read_rgb01
from esrgan_core.schema import param
from esrgan_plugins.datasets.base import SeededImageDataset, read_meta_info, resolve, scan_folder
from esrgan_plugins.datasets.transforms import apply_flips, draw_flips, to_chw


@attrs.frozen
class PairedFolderParams:
    """Options of ``paired_folder``."""

    dataroot_gt: str = param(help="folder of target (HR) images")
    dataroot_lq: str = param(help="folder of low-quality inputs")
    meta_info: str | None = param(None, help="text file of 'gt_path, lq_path' lines (or 'gt_path' only) relative to the roots")
    filename_tmpl: str = param("{}", help="LQ stem from the GT stem, e.g. '{}x4'")
    scale: int = param(4, ge=1, help="GT size / LQ size")
    gt_size: int | None = param(None, ge=1, help="GT patch size of the paired random crop; null = whole images")
    use_hflip: bool = param(True, help="random horizontal flip (both images)")
    use_rot: bool = param(False, help="random vertical flip and transpose (both images)")
    seed: int | None = param(None, help="seed of the per-item randomness; null = the data loader's seed")

    def validate(self) -> None:
        if self.gt_size is not None and self.gt_size % self.scale:
            raise ParamError("gt_size", f"{self.gt_size} is not a multiple of scale {self.scale}")
        if "{}" not in self.filename_tmpl:
            raise ParamError("filename_tmpl", "must contain '{}' (the GT file stem)")


def _key(rel: Path) -> str:
    return (rel.parent / rel.stem).as_posix()


def _index(root: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in scan_folder(root):
        key = _key(p.relative_to(root))
        if key in out:
            raise DataError(f"two images with the same name in {root}: {out[key].name} and {p.name}")
        out[key] = p
    return out


def _named(items: list[str]) -> str:
    return ", ".join(items[:5]) + (", ..." if len(items) > 5 else "")


def match_pairs(gt_root: Path, lq_root: Path, tmpl: str) -> list[tuple[Path, Path]]:
    """Pair every GT with its LQ by name; unmatched files on either side are a DataError naming them."""
    gts, lqs = _index(gt_root), _index(lq_root)
    want = {k: (Path(k).parent / tmpl.format(Path(k).name)).as_posix() for k in gts}
    no_lq = [gts[k].name for k, lk in want.items() if lk not in lqs]
    if no_lq:
        raise DataError(f"{len(no_lq)} GT image(s) have no LQ partner in {lq_root}: {_named(no_lq)}")
    extra = sorted(set(lqs) - set(want.values()))
    if extra:
        raise DataError(f"{len(extra)} LQ image(s) in {lq_root} have no GT partner in {gt_root}: {_named([lqs[k].name for k in extra])}")
    return [(gts[k], lqs[want[k]]) for k in sorted(gts)]


def pairs_from_meta(gt_root: Path, lq_root: Path, meta: Path, tmpl: str) -> list[tuple[Path, Path]]:
    """Pairs from meta_info lines ``gt_rel, lq_rel`` (or ``gt_rel`` with the LQ named by ``tmpl``)."""
    pairs = []
    for line in read_meta_info(meta):
        parts = [s.strip() for s in line.split(",")]
        gt_rel = parts[0].split()[0]
        if len(parts) > 1 and parts[1]:
            lq_path = lq_root / parts[1].split()[0]
        else:
            rel = Path(gt_rel)
            lq_path = lq_root / rel.parent / (tmpl.format(rel.stem) + rel.suffix)
        pairs.append((gt_root / gt_rel, lq_path))
    missing = [str(p) for pair in pairs for p in pair if not p.is_file()]
    if missing:
        raise DataError(f"{len(missing)} file(s) listed in {meta} do not exist: {_named(missing)}")
    return pairs


class PairedFolderDataset(SeededImageDataset):
    """Matched GT/LQ images; item ``i`` is pair ``i`` in GT name order (or meta_info order)."""

    def __init__(self, params: PairedFolderParams, *, base_dir: str | Path | None = None) -> None:
        params.validate()
        super().__init__(params.seed)
        self.params = params
        gt_root, lq_root = resolve(params.dataroot_gt, base_dir), resolve(params.dataroot_lq, base_dir)
        self.source = str(gt_root)
        if params.meta_info:
            self.pairs = pairs_from_meta(gt_root, lq_root, resolve(params.meta_info, base_dir), params.filename_tmpl)
        else:
            self.pairs = match_pairs(gt_root, lq_root, params.filename_tmpl)
        if not self.pairs:
            raise DataError(f"no image pairs in {gt_root} and {lq_root}")

    def __len__(self) -> int:
        return len(self.pairs)

    def num_sources(self) -> int:
        return len(self.pairs)

    def load(self, source: int, g: torch.Generator) -> dict[str, Any]:
        p = self.params
        gt_path, lq_path = self.pairs[source]
        gt, lq = read_rgb01(gt_path), read_rgb01(lq_path)
        (gh, gw), (lh, lw) = gt.shape[:2], lq.shape[:2]
        if (gh, gw) != (lh * p.scale, lw * p.scale):
            raise DataError(f"{gt_path} is {gw}x{gh} but {lq_path} is {lw}x{lh}: not scale {p.scale}")
        flips = draw_flips(g, p.use_hflip, p.use_rot)
        if p.gt_size is not None:
            gt, lq = crop_pair_hwc(gt, lq, p.gt_size, p.scale, g, what=str(lq_path))
        gt, lq = apply_flips(gt, flips), apply_flips(lq, flips)
        return {"gt": to_chw(gt), "lq": to_chw(lq), "gt_path": str(gt_path), "lq_path": str(lq_path)}
