"""A degradation recipe as a config value: a preset name or a stage list, resolved when the config loads.

A field declared with ``param(..., convert=resolve_recipe)`` holds a :class:`Recipe` after
validation, so a misspelled preset name or a bad option inside a preset's stages is a ConfigError
at ``esrgan-run validate`` time (with a "did you mean"), not when a run starts. Preset stages are
validated exactly like hand-written ones, through the ``degradations`` registry.
"""

from __future__ import annotations

from typing import Any, Union

import attrs

from esrgan_core.degradation.presets import load_preset, preset_names, unknown_preset_message
from esrgan_core.errors import ConfigError
from esrgan_core.registry import Registries
from esrgan_core.schema import from_value, to_plain
from esrgan_core.values import ComponentSpec

RecipeValue = Union[str, tuple[ComponentSpec, ...]]  # the YAML form: a preset name or a list of stages


@attrs.frozen
class Recipe:
    """Validated stages, and the preset (name and scale) they came from when given by name."""

    stages: tuple[ComponentSpec, ...]
    preset: str | None = None
    scale: int | None = None

    def to_plain(self) -> Any:
        """The YAML form: the preset name, or the stage list."""
        return self.preset if self.preset is not None else [to_plain(s) for s in self.stages]

    def check_scale(self, scale: int, path: str, what: str = "run") -> None:
        """ConfigError when the recipe is a preset made for another scale."""
        if self.scale is not None and self.scale != scale:
            raise ConfigError(f"preset {self.preset!r} is for scale {self.scale}, the {what}'s scale is {scale}", path=path)


def resolve_recipe(value: Any, path: str, registries: Registries | None) -> Recipe | None:
    """``convert`` of a recipe field: a preset name or a list of stage specs -> :class:`Recipe`
    (``None`` stays ``None`` for optional fields)."""
    if value is None or isinstance(value, Recipe):
        return value
    if not isinstance(value, str):
        stages = from_value(tuple[ComponentSpec, ...], value, path=path, registries=registries, kind="degradations")
        return Recipe(stages)
    if value not in preset_names():
        raise ConfigError(unknown_preset_message(value), path=path)
    preset = load_preset(value)
    try:
        stages = from_value(tuple[ComponentSpec, ...], preset.stages, path="stages", registries=registries,
                            kind="degradations")
    except ConfigError as exc:
        raise ConfigError(f"preset {value!r}, {exc.path}: {exc.message}", path=path) from None
    return Recipe(stages, value, preset.scale)
