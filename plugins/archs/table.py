"""The architectures: spandrel class, presets, licence, tiny test settings.

Each :class:`ArchSpec` says how resolved option values become a spandrel module (``build``), which
spandrel architecture id detects its files, and the licence of the network code (from the
``LICENSE`` in spandrel's ``architectures/<Arch>/__arch/`` folder). Only architectures without a
non-commercial restriction are listed. RRDBNet (ESRGAN) and Compact are not here: the ``networks``
plugin registers them once, in BasicSR's key layout (``rrdbnet``/``esrgan``, ``srvgg_compact``/``compact``). ``tiny`` is the documented smallest setting the tests train.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import attrs
from torch import nn

from esrgan_plugins.archs import params as P


@attrs.frozen
class ArchSpec:
    name: str
    title: str
    spandrel_id: str
    params: type
    licence: str
    build: Callable[[dict[str, Any]], nn.Module]
    presets: Mapping[str, Mapping[str, Any]]
    tiny: Mapping[str, Any]
    module_class: str = ""  # when one spandrel id covers several classes: the class this entry builds
    size_multiple: Callable[[dict[str, Any]], int] = lambda values: 1  # input H, W multiple (spandrel's multiple_of)


def _span(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.SPAN import SPAN

    return SPAN(num_in_ch=v["num_in_ch"], num_out_ch=v["num_out_ch"], feature_channels=v["feature_channels"],
                upscale=v["scale"], norm=v["norm"])


def _plksr(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.PLKSR import PLKSR

    return PLKSR(dim=v["dim"], n_blocks=v["n_blocks"], upscaling_factor=v["scale"], ccm_type=v["ccm_type"],
                 kernel_size=v["kernel_size"], split_ratio=v["split_ratio"], lk_type=v["lk_type"], use_ea=v["use_ea"])


def _realplksr(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.PLKSR import RealPLKSR

    return RealPLKSR(dim=v["dim"], n_blocks=v["n_blocks"], upscaling_factor=v["scale"], kernel_size=v["kernel_size"],
                     split_ratio=v["split_ratio"], use_ea=v["use_ea"], norm_groups=v["norm_groups"], dropout=v["dropout"],
                     dysample=v["dysample"], layer_norm=v["layer_norm"])


def _safmn(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.SAFMN import SAFMN

    return SAFMN(dim=v["dim"], n_blocks=v["n_blocks"], ffn_scale=v["ffn_scale"], upscaling_factor=v["scale"])


def _omnisr(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.OmniSR import OmniSR

    return OmniSR(num_in_ch=v["num_in_ch"], num_out_ch=v["num_out_ch"], num_feat=v["num_feat"], block_num=v["block_num"],
                  window_size=v["window_size"], res_num=v["res_num"], up_scale=v["scale"])


def _realcugan(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures import RealCUGAN

    cls = {2: RealCUGAN.UpCunet2x, 3: RealCUGAN.UpCunet3x, 4: RealCUGAN.UpCunet4x}[v["scale"]]
    return cls(in_channels=3, out_channels=3, pro=v["pro"])


def _dat(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.DAT import DAT

    return DAT(img_size=v["img_size"], embed_dim=v["embed_dim"], split_size=list(v["split_size"]), depth=list(v["depth"]),
               num_heads=list(v["num_heads"]), expansion_factor=v["expansion_factor"], drop_path_rate=v["drop_path_rate"],
               use_chk=v["checkpointing"], upscale=v["scale"], resi_connection=v["resi_connection"], upsampler=v["upsampler"])


def _swinir(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.SwinIR import SwinIR

    return SwinIR(img_size=v["img_size"], embed_dim=v["embed_dim"], depths=list(v["depths"]), num_heads=list(v["num_heads"]),
                  window_size=v["window_size"], mlp_ratio=v["mlp_ratio"], drop_path_rate=v["drop_path_rate"],
                  use_checkpoint=v["checkpointing"], upscale=v["scale"], upsampler=v["upsampler"], resi_connection="1conv")


def _hat(v: dict[str, Any]) -> nn.Module:
    from spandrel.architectures.HAT import HAT

    return HAT(img_size=v["img_size"], embed_dim=v["embed_dim"], depths=list(v["depths"]), num_heads=list(v["num_heads"]),
               window_size=v["window_size"], compress_ratio=v["compress_ratio"], squeeze_factor=v["squeeze_factor"],
               mlp_ratio=v["mlp_ratio"], drop_path_rate=v["drop_path_rate"], use_checkpoint=v["checkpointing"],
               upscale=v["scale"], upsampler="pixelshuffle", resi_connection="1conv")


_DAT = {"embed_dim": 180, "depth": (6,) * 6, "num_heads": (6,) * 6, "split_size": (8, 32), "expansion_factor": 4.0,
        "resi_connection": "1conv", "upsampler": "pixelshuffle"}
_SWINIR_M = {"embed_dim": 180, "depths": (6,) * 6, "num_heads": (6,) * 6, "window_size": 8, "mlp_ratio": 2.0,
             "upsampler": "pixelshuffle"}
_HAT_S = {"embed_dim": 144, "depths": (6,) * 6, "num_heads": (6,) * 6, "window_size": 16, "compress_ratio": 24,
          "squeeze_factor": 24, "mlp_ratio": 2.0}
_PLKSR = {"dim": 64, "n_blocks": 28, "kernel_size": 17, "split_ratio": 0.25, "ccm_type": "CCM", "lk_type": "PLK", "use_ea": True}
_REALPLKSR = {"dim": 64, "n_blocks": 28, "kernel_size": 17, "split_ratio": 0.25, "use_ea": True, "norm_groups": 4, "layer_norm": True}

ARCHS: tuple[ArchSpec, ...] = (
    ArchSpec("span", "SPAN", "SPAN", P.SPANParams, "Apache-2.0", _span,
             {"base": {"feature_channels": 48}, "s": {"feature_channels": 32}}, {"feature_channels": 8}),
    ArchSpec("plksr", "PLKSR", "PLKSR", P.PLKSRParams, "MIT", _plksr,
             {"base": _PLKSR, "tiny": {**_PLKSR, "n_blocks": 12, "kernel_size": 13, "use_ea": False, "ccm_type": "DCCM"}},
             {"dim": 8, "n_blocks": 1, "kernel_size": 5}, module_class="PLKSR"),
    ArchSpec("realplksr", "RealPLKSR", "PLKSR", P.RealPLKSRParams, "MIT", _realplksr,
             {"base": _REALPLKSR, "s": {**_REALPLKSR, "n_blocks": 12, "kernel_size": 13, "use_ea": False}},
             {"dim": 8, "n_blocks": 1, "kernel_size": 5}, module_class="RealPLKSR"),
    ArchSpec("safmn", "SAFMN", "SAFMN", P.SAFMNParams, "Apache-2.0", _safmn,
             {"base": {"dim": 36, "n_blocks": 8, "ffn_scale": 2.0}, "l": {"dim": 128, "n_blocks": 16, "ffn_scale": 2.0}},
             {"dim": 8, "n_blocks": 1}, size_multiple=lambda v: 8),
    ArchSpec("omnisr", "OmniSR", "OmniSR", P.OmniSRParams, "Apache-2.0", _omnisr,
             {"base": {"num_feat": 64, "res_num": 5, "block_num": 1, "window_size": 8}},
             {"num_feat": 8, "res_num": 1, "window_size": 4}),
    ArchSpec("realcugan", "Real-CUGAN", "RealCUGAN", P.RealCUGANParams, "MIT", _realcugan, {"base": {}}, {}),
    ArchSpec("dat", "DAT", "DAT", P.DATParams, "Apache-2.0", _dat,
             {"base": _DAT, "s": {**_DAT, "split_size": (8, 16), "expansion_factor": 2.0},
              "2": {**_DAT, "expansion_factor": 2.0},
              "light": {**_DAT, "embed_dim": 60, "depth": (18,), "num_heads": (6,), "expansion_factor": 2.0,
                        "resi_connection": "3conv", "upsampler": "pixelshuffledirect"}},
             {"embed_dim": 16, "depth": (1,), "num_heads": (2,), "split_size": (2, 4), "img_size": 16}),
    ArchSpec("swinir", "SwinIR", "SwinIR", P.SwinIRParams, "Apache-2.0", _swinir,
             {"s": {**_SWINIR_M, "embed_dim": 60, "depths": (6,) * 4, "num_heads": (6,) * 4, "upsampler": "pixelshuffledirect"},
              "m": _SWINIR_M},
             {"embed_dim": 8, "depths": (1,), "num_heads": (2,), "window_size": 4, "img_size": 16}),
    ArchSpec("hat", "HAT", "HAT", P.HATParams, "MIT", _hat,
             {"s": _HAT_S, "m": {**_HAT_S, "embed_dim": 180, "compress_ratio": 3, "squeeze_factor": 30}},
             {"embed_dim": 12, "depths": (1,), "num_heads": (2,), "window_size": 4, "compress_ratio": 3, "squeeze_factor": 4,
              "img_size": 16}),
)

BY_NAME = {spec.name: spec for spec in ARCHS}


def resolve(spec: ArchSpec, params: Any) -> dict[str, Any]:
    """The option values a network is built from: the preset's, overridden by every field not None."""
    values = {f.name: getattr(params, f.name) for f in attrs.fields(type(params)) if f.name != "preset"}
    preset = spec.presets[params.preset]
    return {k: (preset[k] if v is None else v) for k, v in values.items()}
