"""Typed errors. Each carries what the user needs to find the problem (file, key path, plugin).

``exit_code`` is what the CLI exits with: 2 for usage/config problems the user fixes in their
input, 1 for runtime failures.
"""

from __future__ import annotations

from pathlib import Path


class EsrganError(Exception):
    """Base class of every error the CLI reports as one line without a traceback."""

    exit_code = 1


class ConfigError(EsrganError):
    """A config value is wrong. ``path`` is the dotted key path (``train.losses[1].weight``)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        file: str | Path | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"

    def located(self, *, file: str | Path | None, line: int | None) -> ConfigError:
        """The same error with a file/line attached (keeps what is already set)."""
        return ConfigError(
            self.message,
            path=self.path,
            file=self.file or file,
            line=self.line or line,
        )


class ParamError(ValueError):
    """Raised inside a params class's ``validate()``; re-raised as ConfigError with the path.

    ``key`` is relative to the params section (e.g. ``"sigma"`` or ``"kernel_prob"``).
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


class PluginError(EsrganError):
    """A plugin failed to load or register. Names the plugin and its distribution.

    Exit code 2: the installation or the config's ``plugins:`` list is the input to fix.
    """

    exit_code = 2

    def __init__(self, message: str, *, plugin: str = "", dist: str = "") -> None:
        self.plugin = plugin
        self.dist = dist
        prefix = f"plugin {plugin!r}" + (f" (from {dist})" if dist else "") + ": " if plugin else ""
        super().__init__(prefix + message)


class ObserverError(PluginError):
    """A plugin's observer hook raised during a run (the run stopped after saving a state)."""

    exit_code = 1


class ModelFileError(EsrganError):
    """A model file is missing, unreadable, unsafe or of an unknown architecture."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path) -> None:
        self.file = str(file)
        super().__init__(f"{self.file}: {message}")


class MissingWeightsError(EsrganError):
    """Pretrained backbone weights (VGG, AlexNet, Inception) are not on this machine.

    The message says which file goes where.
    """

    exit_code = 2


class CorruptWeightsError(EsrganError):
    """A pretrained weights file exists but is not the registered file (size or sha256 differ); never used."""

    exit_code = 2


class WeightsDownloadError(EsrganError):
    """A weights download failed or delivered a different file (nothing is kept; exit 1)."""


class ImageError(EsrganError):
    """An image file cannot be read or written."""

    def __init__(self, message: str, *, file: str | Path) -> None:
        self.file = str(file)
        super().__init__(f"{self.file}: {message}")


class UnreadableImageError(ImageError):
    """An input image is missing, unreadable or not an image: bad input (exit code 2)."""

    exit_code = 2


class DataError(EsrganError):
    """A dataset cannot provide data (e.g. no usable image at all)."""

    exit_code = 2


def short_message(text: str, limit: int = 400) -> str:
    """``text`` on one line, cut to ``limit`` characters (``--debug`` shows the full error)."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 40].rstrip() + f" ... ({len(one) - limit + 40} more characters)"


class NonFiniteLossError(EsrganError):
    """A loss became NaN/Inf; raised by a trainer before any optimizer step of that iteration."""
