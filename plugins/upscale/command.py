"""``esrgan-run upscale``: the command-line face of the ``upscale`` task (same params, same code).

The options are generated from :class:`UpscaleParams` (help texts, choices, defaults); only the
short flags and the historical aliases of Real-ESRGAN's ``inference_realesrgan.py`` live here.
"""

from __future__ import annotations

import argparse

from esrgan_core.argparse_gen import add_param_options, params_from_args
from esrgan_core.schema import from_dict
from esrgan_plugins.upscale.batch import run_upscale
from esrgan_plugins.upscale.params import UpscaleParams

FLAGS = {
    "input": ("-i", "--input"),
    "output": ("-o", "--output"),
    "model": ("-m", "--model"),
    "interpolate": ("--alpha-interp", "--interpolate"),
    "denoise_strength": ("-dn", "--denoise-strength"),
    "tile": ("-t", "--tile"),
    "outscale": ("-s", "--outscale"),
    "recursive": ("-r", "--recursive"),
}


def configure(p: argparse.ArgumentParser) -> None:
    """Add the upscale options; every default and help text lives in :class:`UpscaleParams`."""
    add_param_options(p, UpscaleParams, flags=FLAGS, metavars={"interpolate": "W"})


def handler(args: argparse.Namespace) -> int:
    """Validate the options as the ``upscale`` task's params and run."""
    return run_upscale(from_dict(UpscaleParams, params_from_args(UpscaleParams, args)))
