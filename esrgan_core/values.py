"""Config values: what a validated config holds as data besides numbers, strings and paths.

A leaf module: it imports nothing of ``esrgan_core``, so the registries, the schema, the
contracts and the trainer API can all use these values without importing each other.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs


class RegistryLookup(Protocol):
    """The registries of a run, indexed by kind (an :class:`esrgan_core.registry.Registries`)."""

    def __getitem__(self, kind: str) -> Any: ...


@attrs.frozen
class ComponentSpec:
    """A validated ``{type: NAME, ...params}`` config section."""

    kind: str
    type: str
    params: Any
    path: str = ""
    factory: Any = attrs.field(default=None, eq=False, repr=False)  # the registered factory (set by the schema)

    def build(self, registries: RegistryLookup, *args: Any, **kwargs: Any) -> Any:
        """Build the component with its factory: ``factory(params, *args, **kwargs)``."""
        return registries[self.kind].build(self, *args, **kwargs)
