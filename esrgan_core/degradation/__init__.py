"""The degradation engine: the batch stages work on, the pipeline that runs a stage list, recipe
(preset) resolution, and the shared operations stages are built from (random draws, parameter
checks, filtering and USM, the paired crop, quantisation).

Stage plugins import from here; the stages themselves live in plugins (``esrgan_plugins.degradations``
for the built-ins). Public names: :class:`DegradationBatch`, :data:`Stage`, :func:`run_stages`,
:func:`run_parts`; submodules ``pipeline``, ``recipe``, ``presets``, ``sampling``, ``checks``,
``filtering``, ``crop``, ``levels``.
"""

from esrgan_core.degradation.batch import DegradationBatch, Stage, run_parts, run_stage, run_stages

__all__ = ["DegradationBatch", "Stage", "run_parts", "run_stage", "run_stages"]
