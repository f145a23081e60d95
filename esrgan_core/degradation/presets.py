"""Degradation recipes: shipped presets and a reader for Real-ESRGAN/BasicSR option files.

Presets live in the ``esrgan_configs`` package, folder ``presets/`` (``NAME.yml`` with ``scale``
and ``stages``). :func:`from_basicsr_options` turns the reference's flat option names into the
same stage list, so ``load_preset("realesrgan_x4plus").stages`` equals the reader's output for the
official values.
"""

from __future__ import annotations

import difflib
from importlib import resources
from typing import Any, Mapping

import attrs

from esrgan_core.errors import ConfigError
from esrgan_core.yamlio import parse_yaml

PACKAGE = "esrgan_configs"
FOLDER = "presets"


@attrs.frozen
class Preset:
    """A named recipe: ``stages`` is plain data (``[{type: ..., ...}, ...]``)."""

    name: str
    scale: int
    stages: list[dict[str, Any]]
    description: str = ""


def _folder() -> Any:
    return resources.files(PACKAGE).joinpath(FOLDER)


def preset_names() -> list[str]:
    return sorted(p.name[:-4] for p in _folder().iterdir() if p.name.endswith(".yml"))


def unknown_preset_message(name: str) -> str:
    known = preset_names()
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown degradation preset {name!r}{hint}; known: {', '.join(known)}"


def load_preset(name: str) -> Preset:
    """Read the shipped preset ``name`` (e.g. ``realesrgan_x4plus``)."""
    entry = _folder().joinpath(f"{name}.yml")
    if not entry.is_file():
        raise ConfigError(unknown_preset_message(name), path="recipe")
    data, _ = parse_yaml(entry.read_text(encoding="utf-8"), file=f"{FOLDER}/{name}.yml")
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        raise ConfigError("a preset needs a 'stages' list", file=f"{FOLDER}/{name}.yml")
    return Preset(name, int(data.get("scale", 4)), data["stages"], str(data.get("description", "")))


BASICSR_KEYS = (  # the degradation options of a Real-ESRGAN option file; every one is needed
    "resize_prob", "resize_range", "gaussian_noise_prob", "noise_range", "poisson_scale_range", "gray_noise_prob",
    "jpeg_range", "second_blur_prob", "resize_prob2", "resize_range2", "gaussian_noise_prob2", "noise_range2",
    "poisson_scale_range2", "gray_noise_prob2", "jpeg_range2", "kernel_list", "kernel_prob", "sinc_prob",
    "blur_sigma", "betag_range", "betap_range", "kernel_list2", "kernel_prob2", "sinc_prob2", "blur_sigma2",
    "betag_range2", "betap_range2", "final_sinc_prob",
)
BASICSR_UNUSED_KEYS = ("blur_kernel_size", "blur_kernel_size2")  # read by the reference, never used (sizes 7..21)


def _flatten(opt: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys plus those of ``datasets.train`` (where the kernel options live)."""
    flat = dict(opt)
    train = (opt.get("datasets") or {}).get("train") if isinstance(opt.get("datasets"), dict) else None
    if isinstance(train, dict):
        flat.update({k: v for k, v in train.items() if k not in flat})
    return flat


def _usm_stage(o: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The sharpening stage: the LQ is made from USM(GT) (both official models). RealESRNet without
    ``gt_usm`` degrades the plain GT, so it gets none. Whether the *target* is sharpened is the esrnet
    trainer's ``train.gt_usm`` (decided once by the training-pair step, which reuses this ``gt_usm``)."""
    esrnet = o.get("model_type") == "RealESRNetModel" or ("gt_usm" in o and "l1_gt_usm" not in o)
    if esrnet and not o.get("gt_usm", True):
        return []
    return [{"type": "usm", "targets": ["gt_usm", "lq"]}]


def _blur(name: str, o: Mapping[str, Any], suffix: str, prob: float) -> dict[str, Any]:
    return {"type": "blur", "name": name, "prob": prob, "kernel_size": [7, 21],
            "kernel_list": list(o["kernel_list" + suffix]), "kernel_prob": list(o["kernel_prob" + suffix]),
            "sigma": list(o["blur_sigma" + suffix]), "betag": list(o["betag_range" + suffix]),
            "betap": list(o["betap_range" + suffix]), "sinc_prob": o["sinc_prob" + suffix]}


def _noise(name: str, o: Mapping[str, Any], suffix: str) -> dict[str, Any]:
    return {"type": "noise", "name": name, "gaussian_prob": o["gaussian_noise_prob" + suffix],
            "sigma": list(o["noise_range" + suffix]), "poisson_scale": list(o["poisson_scale_range" + suffix]),
            "gray_prob": o["gray_noise_prob" + suffix]}


def from_basicsr_options(opt: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stage list (plain dicts) equivalent to a Real-ESRGAN option dict.

    Accepts the flat degradation keys, or a whole option file (kernel keys under
    ``datasets.train``). USM targets follow the model: RealESRGANModel sharpens into ``gt_usm``
    and degrades the sharpened GT; RealESRNetModel with ``gt_usm: true`` gets the same stage (its trainer makes gt_usm the target).
    Randomness is per sample; set ``per_batch: true`` on stages to get the reference's batch-wide
    draws. A missing option is a ConfigError naming it.
    """
    o = _flatten(opt)
    missing = [k for k in BASICSR_KEYS if k not in o]
    if missing:
        raise ConfigError(f"missing Real-ESRGAN degradation option(s): {', '.join(missing)}", path=missing[0])
    final_resize = {"type": "resize", "name": "resize_final", "prob": [0, 0, 1], "to": "lr"}
    return [
        *_usm_stage(o),
        _blur("blur1", o, "", 1.0),
        {"type": "resize", "name": "resize1", "prob": list(o["resize_prob"]), "range": list(o["resize_range"]),
         "to": "relative"},
        _noise("noise1", o, ""),
        {"type": "jpeg", "name": "jpeg1", "quality": list(o["jpeg_range"])},
        _blur("blur2", o, "2", o["second_blur_prob"]),
        {"type": "resize", "name": "resize2", "prob": list(o["resize_prob2"]), "range": list(o["resize_range2"]),
         "to": "lr"},
        _noise("noise2", o, "2"),
        {"type": "random_order", "name": "final_order", "groups": [
            [final_resize, {"type": "sinc", "name": "final_sinc", "prob": o["final_sinc_prob"]}],
            [{"type": "jpeg", "name": "jpeg_final", "quality": list(o["jpeg_range2"])}],
        ]},
    ]
