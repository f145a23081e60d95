"""Shared test fixtures: throwaway plugins registered through the real plugin manager."""

from __future__ import annotations

import os

import pytest

# Tests never touch a real hub cache: weights must be supplied explicitly where a test needs them.
os.environ.setdefault("ESRGAN_TEST", "1")


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep converted-model caches in one session-wide folder outside the user's home."""
    cache = tmp_path_factory.getbasetemp() / "esrgan-cache"
    monkeypatch.setenv("ESRGAN_CACHE_DIR", str(cache))


EXAMPLE_PLUGIN_DIR = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "esrgan-example-plugin"


@pytest.fixture(scope="session")
def example_plugin():
    """The example third-party plugin module (examples/esrgan-example-plugin), importable."""
    import importlib
    import sys

    if str(EXAMPLE_PLUGIN_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_PLUGIN_DIR))
    return importlib.import_module("esrgan_example_plugin")
