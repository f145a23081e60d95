"""The degradation engine: the batch stages work on, the pipeline that runs a stage list, recipe
(preset) resolution, the one-image degradation from a seed (``once``), and the shared operations
stages are built from (random draws, parameter checks, filtering and USM, the crops, quantisation;
reflect padding is :mod:`esrgan_core.padding`).

Stage plugins import from here; the stages themselves live in plugins (``esrgan_plugins.degradations``
for the built-ins). Public names: :class:`DegradationBatch`, :data:`Stage`, :func:`run_stages`,
:func:`run_parts`; submodules ``pipeline``, ``recipe``, ``presets``, ``sampling``, ``checks``,
``filtering``, ``crop``, ``once``, ``levels``.
"""

from esrgan_core.degradation.batch import DegradationBatch, Stage, run_parts, run_stage, run_stages

__all__ = ["DegradationBatch", "Stage", "run_parts", "run_stage", "run_stages"]
