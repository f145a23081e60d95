"""Example esrgan plugin: registers one degradation stage and one loss.

Installed (``pip install examples/esrgan-example-plugin``), its entry point ``example`` in the
``esrgan`` group makes ``color_cast`` usable in a degradation list and ``total_variation`` in
``train.losses`` -- with the same config validation and error messages as the built-ins.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_example_plugin.color_cast import ColorCast, ColorCastParams
from esrgan_example_plugin.total_variation import TotalVariation, TotalVariationParams


@hookimpl
def register_degradations(register):
    register("color_cast", ColorCast, ColorCastParams, help="random per-sample colour cast (example plugin)")


@hookimpl
def register_losses(register):
    register("total_variation", TotalVariation, TotalVariationParams, help="total-variation smoothness loss (example plugin)")
