"""The degradation pipeline: HR batch in, (LR, GT[, GT_usm]) batch out.

Stages are built only through the ``degradations`` registry, so a third-party stage works in a
recipe exactly like a built-in one. The LR output is quantised to 8 bits (unless disabled).
"""

from __future__ import annotations

from typing import Any, Sequence

import attrs
import torch

from esrgan_core.degradation import DegradationBatch, Stage, run_stages
from esrgan_core.degradation.levels import quantize
from esrgan_core.errors import ConfigError
from esrgan_core.registry import Registries
from esrgan_core.schema import from_dict, param
from esrgan_core.values import ComponentSpec


@attrs.frozen
class PipelineParams:
    """A degradation recipe as a config section: ``stages`` plus output quantisation."""

    stages: tuple[ComponentSpec, ...] = param((), kind="degradations", help="stages, run in order")
    quantize: bool = param(True, help="round the LR output to 8-bit levels")


class Pipeline:
    """Run a list of stages on an HR batch.

    ``Pipeline(stages, registries, quantize=True)`` with ``stages`` validated ComponentSpecs;
    ``Pipeline.from_dicts(list_of_plain_dicts, registries)`` validates plain data first.
    """

    def __init__(self, stages: Sequence[ComponentSpec], registries: Registries, *, quantize: bool = True) -> None:
        self.registries = registries
        self.specs = tuple(stages)
        self.quantize = quantize
        self.stages: list[Stage] = [self.build_stage(s) for s in self.specs]

    @classmethod
    def from_params(cls, params: PipelineParams, registries: Registries) -> Pipeline:
        return cls(params.stages, registries, quantize=params.quantize)

    @classmethod
    def from_recipe(cls, recipe: Any, registries: Registries) -> Pipeline:
        """The pipeline of a resolved :class:`~esrgan_core.degradation.recipe.Recipe`."""
        return cls(recipe.stages, registries)

    @classmethod
    def from_dicts(cls, stages: Sequence[dict[str, Any]], registries: Registries, *, quantize: bool = True,
                   path: str = "") -> Pipeline:
        """Validate plain ``[{type: ..., ...}, ...]`` data (ConfigError naming stage and key)."""
        params = from_dict(PipelineParams, {"stages": list(stages), "quantize": quantize}, path=path,
                           registries=registries)
        return cls.from_params(params, registries)

    def build_stage(self, spec: ComponentSpec) -> Stage:
        """Build one stage through the registry; combinators get this method to build children."""
        stage = self.registries[spec.kind].build_checked(spec)  # checked against esrgan_core.contracts
        bind = getattr(stage, "bind", None)
        if callable(bind):
            bind(self.build_stage)
        return stage

    def __call__(self, gt: torch.Tensor, generator: torch.Generator, scale: int) -> DegradationBatch:
        """Degrade ``gt`` (RGB float32 [0,1] NCHW) for super-resolution by ``scale``.

        Returns a :class:`DegradationBatch` whose ``lq`` is RGB float32 [0,1] NCHW at
        (H // scale, W // scale) of the final ``gt``; randomness comes only from ``generator``.
        """
        if gt.ndim != 4 or gt.shape[1] != 3:
            raise ValueError(f"gt must be an RGB batch N x 3 x H x W, got shape {tuple(gt.shape)}")
        batch = run_stages(self.stages, DegradationBatch.from_gt(gt.float(), scale), generator)
        if batch.ragged:
            raise ConfigError("the stages end with samples of different sizes; end with a resize using "
                              "'to: lr' and 'prob: [0, 0, 1]'", path="stages")
        gh, gw = batch.gt.shape[-2:]
        lh, lw = batch.lq.shape[-2:]
        if (lh, lw) != (gh // scale, gw // scale):
            raise ConfigError(f"the stages produce LR {lh}x{lw} for GT {gh}x{gw} at scale {scale}; "
                              f"expected {gh // scale}x{gw // scale} (end with a resize to: lr)", path="stages")
        if self.quantize:
            batch.lq = quantize(batch.lq, 8)
        return batch
