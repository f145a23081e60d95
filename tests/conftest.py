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
