"""Built-in plugin: pair augmentations (``augment:`` in a training config).

``mixup``, ``cutmix``, ``resizemix``, ``cutblur`` (see :mod:`esrgan_plugins.augment.mix` and
docs/augment.md). Each is ``factory(params) -> aug`` with ``aug(pair, generator) -> pair`` acting on
``lq`` and ``gt`` together, applied in list order after the pair pool, each with its ``prob``.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_plugins.augment.mix import (
    Cutblur,
    Cutmix,
    CutmixParams,
    Mixup,
    MixupParams,
    Resizemix,
    ResizemixParams,
)

__all__ = ["Cutblur", "Cutmix", "CutmixParams", "Mixup", "MixupParams", "Resizemix", "ResizemixParams"]


@hookimpl
def register_augmentations(register) -> None:
    register("mixup", Mixup, params=MixupParams, help="blend the pair with another sample's, v ~ Beta(alpha, alpha)")
    register("cutmix", Cutmix, params=CutmixParams, help="paste another sample's box (LR box, s x box in GT)")
    register("resizemix", Resizemix, params=ResizemixParams, help="paste another sample resized into a random box")
    register("cutblur", Cutblur, params=CutmixParams, help="swap a box between lq and the downscaled GT")
