"""Built-in datasets: hr_folder, paired_folder, skimage_photos (the training loader is the training plugin's).

A dataset factory is called as ``factory(params, base_dir=CONFIG_FOLDER)``; relative paths in the
params are taken relative to ``base_dir``. See docs/datasets.md for the keys.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_plugins.datasets.hr_folder import HRFolderDataset, HRFolderParams
from esrgan_plugins.datasets.paired import PairedFolderDataset, PairedFolderParams
from esrgan_plugins.datasets.skimage_photos import PHOTOS, SkimagePhotosDataset, SkimagePhotosParams

__all__ = [
    "HRFolderDataset", "HRFolderParams", "PairedFolderDataset", "PairedFolderParams", "PHOTOS",
    "SkimagePhotosDataset", "SkimagePhotosParams",
]


@hookimpl
def register_datasets(register) -> None:
    register("hr_folder", HRFolderDataset, params=HRFolderParams, help="HR images from a folder, padded/cropped to patches")
    register("paired_folder", PairedFolderDataset, params=PairedFolderParams, help="matched GT/LQ image pairs from two folders")
    register("skimage_photos", SkimagePhotosDataset, params=SkimagePhotosParams, help="the 8 photos bundled with scikit-image (offline)")
