"""``hr_folder``: high-resolution training images from a folder (the CPU half of RealESRGANDataset).

Each item is one image: flips, then reflect-101 padding (bottom/right) up to ``patch_size``, then a
random ``patch_size`` crop, returned as ``{"gt": CHW RGB float32 [0,1] tensor, "gt_path": str}``.
The degradations run later, batched, on the accelerator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import attrs
import torch

from esrgan_core.errors import DataError
from esrgan_core.images import read_image
from esrgan_core.schema import param
from esrgan_plugins.datasets.base import SeededImageDataset, read_meta_info, resolve, rgb01, scan_folder
from esrgan_plugins.datasets.transforms import crop_pad_augment, to_chw


@attrs.frozen
class HRFolderParams:
    """Options of ``hr_folder``."""

    dataroot: str = param(help="folder of HR images (searched recursively; PNG/JPEG/WebP/TIFF/BMP, 8/16-bit)")
    meta_info: str | None = param(None, help="text file listing images relative to dataroot (first token per line)")
    patch_size: int | None = param(400, ge=1, help="pad (reflect-101) and crop every image to this square; null = whole image")
    use_hflip: bool = param(True, help="random horizontal flip")
    use_rot: bool = param(False, help="random vertical flip and random 90-degree rotation (transpose)")
    alpha: Literal["drop", "white"] = param("drop", help="RGBA images: drop the alpha channel or composite on white")
    check: Literal["lazy", "eager"] = param("lazy", help="find unreadable files while training (lazy) or decode all at start (eager)")
    seed: int | None = param(None, help="seed of the per-item randomness; null = the data loader's seed")


def list_sources(root: Path, meta_info: Path | None) -> list[Path]:
    """The images of ``root`` (recursive) or those listed in ``meta_info`` (missing ones are an error)."""
    if meta_info is None:
        return scan_folder(root)
    paths = [root / line.split()[0] for line in read_meta_info(meta_info)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DataError(
            f"{len(missing)} image(s) listed in {meta_info} do not exist: {', '.join(missing[:5])}"
            + (", ..." if len(missing) > 5 else "")
        )
    return paths


class HRFolderDataset(SeededImageDataset):
    """HR patches from a folder; item ``i`` is image ``i`` of the sorted list (or of meta_info)."""

    def __init__(self, params: HRFolderParams, *, base_dir: str | Path | None = None) -> None:
        super().__init__(params.seed)
        self.params = params
        self.root = resolve(params.dataroot, base_dir)
        self.source = str(self.root)
        meta = resolve(params.meta_info, base_dir) if params.meta_info else None
        paths = list_sources(self.root, meta)
        if params.check == "eager":
            paths = [paths[i] for i in self.check_all(paths)]
        if not paths:
            raise DataError(f"no usable image in {self.root}" + (f" (listed in {meta})" if meta else ""))
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def num_sources(self) -> int:
        return len(self.paths)

    def load(self, source: int, g: torch.Generator) -> dict[str, Any]:
        path = self.paths[source]
        img = rgb01(read_image(path), self.params.alpha)
        p = self.params
        patch = crop_pad_augment(img, p.patch_size, p.use_hflip, p.use_rot, g)
        return {"gt": to_chw(patch), "gt_path": str(path)}
