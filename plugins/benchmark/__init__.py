"""Benchmark plugin: the ``benchmark`` task (``task: benchmark`` configs) and the ``benchmark`` command.

Models x datasets x metrics, bicubic always included as the baseline; writes ``results.json``,
``results.md``, ``per_image.csv``, comparison-crop grids and a PSNR-vs-LPIPS scatter plot. Pieces:
:mod:`.params` (config), :mod:`.data` (test sets, cached degradation), :mod:`.models` (methods),
:mod:`.runner` (the task), :mod:`.report` and :mod:`.figures` (outputs), :mod:`.command` (CLI).
See docs/benchmarks.md.
"""

from __future__ import annotations

from typing import Any

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy
from esrgan_plugins.benchmark.params import BenchmarkParams


@hookimpl
def register_tasks(register: Any) -> None:
    register("benchmark", lazy("esrgan_plugins.benchmark.runner:run_benchmark"), params=BenchmarkParams,
             help="score models (and bicubic) on test sets: PSNR/SSIM/LPIPS/FID tables, grids, plots")


@hookimpl
def register_commands(register: Any) -> None:
    register("benchmark", lazy("esrgan_plugins.benchmark.command:configure"), lazy("esrgan_plugins.benchmark.command:handler"),
             help="benchmark models: -m MODEL [-m ...] [--dataset skimage_x4plus | --hr DIR --lr DIR] -o OUT")
