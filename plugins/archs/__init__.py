"""Trainable spandrel architectures: SPAN, PLKSR, RealPLKSR, SAFMN, OmniSR, Real-CUGAN, DAT, SwinIR, HAT.

Each is registered as a ``networks`` entry whose factory builds spandrel's own module (so the files
we save are the files chaiNNer, ComfyUI and spandrel load), with typed options and named presets
(``network_g: {type: span, preset: s}``). The help line names the licence of the network code.
RRDBNet (ESRGAN) and Compact come from the ``networks`` plugin (one implementation each).
"""

from __future__ import annotations

from esrgan_core.hookspecs import Register, hookimpl
from esrgan_plugins.archs.factory import SpandrelArch
from esrgan_plugins.archs.table import ARCHS


@hookimpl
def register_networks(register: Register) -> None:
    for spec in ARCHS:
        presets = ", ".join(spec.presets)
        fp16 = "" if spec.params.FP16_SAFE else "; fp16 unsafe (use bf16)"
        register(spec.name, SpandrelArch(spec), params=spec.params,
                 help=f"{spec.title} via spandrel [licence {spec.licence}; presets {presets}{fp16}]")
