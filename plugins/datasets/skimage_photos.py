"""``skimage_photos``: the photographs shipped inside scikit-image, as an offline HR dataset.

Eight colour photos (no download needed): astronaut, chelsea, coffee, rocket, hubble_deep_field,
retina, immunohistochemistry, stereo_motorcycle (left view). ``only`` / ``exclude`` pick a subset
(keep one out for validation), ``repeat`` lists each photo several times per epoch. Items match
``hr_folder``: ``{"gt": CHW RGB float32 [0,1], "gt_path": "skimage:NAME"}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from esrgan_core.errors import ParamError
from esrgan_core.photos import PHOTOS, PREFIX, load_photo
from esrgan_core.schema import param
from esrgan_plugins.datasets.base import SeededImageDataset
from esrgan_plugins.datasets.transforms import crop_pad_augment, to_chw


@attrs.frozen
class SkimagePhotosParams:
    """Options of ``skimage_photos``."""

    only: tuple[str, ...] = param((), help="use only these photos (empty = all)")
    exclude: tuple[str, ...] = param((), help="leave these photos out (e.g. one kept for validation)")
    repeat: int = param(1, ge=1, help="list every photo this many times per epoch")
    patch_size: int | None = param(400, ge=1, help="pad (reflect-101) and crop to this square; null = whole photo")
    use_hflip: bool = param(True, help="random horizontal flip")
    use_rot: bool = param(False, help="random vertical flip and transpose")
    seed: int | None = param(None, help="seed of the per-item randomness; null = the data loader's seed")

    def validate(self) -> None:
        for key in ("only", "exclude"):
            unknown = [n for n in getattr(self, key) if n not in PHOTOS]
            if unknown:
                raise ParamError(key, f"unknown photo {unknown[0]!r}; known: {', '.join(PHOTOS)}")
        if not self.names():
            raise ParamError("exclude", "no photo left")

    def names(self) -> tuple[str, ...]:
        return tuple(n for n in PHOTOS if (not self.only or n in self.only) and n not in self.exclude)


class SkimagePhotosDataset(SeededImageDataset):
    """The selected photos held in memory as uint8; item ``i`` is photo ``i % count``."""

    source = "skimage.data"

    def __init__(self, params: SkimagePhotosParams, *, base_dir: str | Path | None = None) -> None:
        params.validate()
        super().__init__(params.seed)
        self.params = params
        self.names = params.names()
        self.photos = [load_photo(n) for n in self.names]

    def __len__(self) -> int:
        return len(self.names) * self.params.repeat

    def num_sources(self) -> int:
        return len(self.names)

    def source_of(self, index: int) -> int:
        return index % len(self.names)

    def load(self, source: int, g: torch.Generator) -> dict[str, Any]:
        p = self.params
        patch = crop_pad_augment(self.photos[source], p.patch_size, p.use_hflip, p.use_rot, g)
        return {"gt": to_chw(patch.astype(np.float32) / 255.0), "gt_path": f"{PREFIX}{self.names[source]}"}
