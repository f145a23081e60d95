"""Shared test fixtures: throwaway plugins registered through the real plugin manager."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import socket
from importlib import metadata
from types import ModuleType

import pytest

# Only the built-in plugins load (esrgan_core.plugins): installed third-party plugins cannot change
# what the suite sees; a test that needs one names it in ESRGAN_PLUGINS.
os.environ.setdefault("ESRGAN_TEST", "1")
# Tests never download: tests that exercise downloading unset this and serve files from 127.0.0.1.
os.environ["ESRGAN_OFFLINE"] = "1"

NON_LOOPBACK_ATTEMPTS: list[str] = []
_real_connect, _real_connect_ex = socket.socket.connect, socket.socket.connect_ex


def _loopback_only(address) -> None:
    """Refuse (and record) any connection to an internet address: the suite stays on this machine."""
    if not isinstance(address, tuple):  # AF_UNIX paths and the like are local
        return
    host = str(address[0])
    try:
        local = host == "localhost" or ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        local = False
    if not local:
        NON_LOOPBACK_ATTEMPTS.append(host)
        raise ConnectionRefusedError(f"tests may only connect to loopback addresses, not {host}")


def _guarded_connect(self, address):
    _loopback_only(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _loopback_only(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_internet() -> None:
    """Fail the test that tried to reach a non-loopback address (even if it swallowed the error)."""
    before = len(NON_LOOPBACK_ATTEMPTS)
    yield
    assert NON_LOOPBACK_ATTEMPTS[before:] == [], f"a test tried to connect to {NON_LOOPBACK_ATTEMPTS[before:]}"


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep converted-model caches in one session-wide folder outside the user's home."""
    cache = tmp_path_factory.getbasetemp() / "esrgan-cache"
    monkeypatch.setenv("ESRGAN_CACHE_DIR", str(cache))


def _declared_extras() -> set[str]:
    return set(metadata.metadata("esrgan").get_all("Provides-Extra") or [])


def _skip_reason(extra: str, modules: list[str]) -> str:
    if extra not in _declared_extras():  # a typo must not turn into a silent skip
        raise ValueError(f"esrgan declares no extra {extra!r} (pyproject.toml has {sorted(_declared_extras())})")
    return f"needs pip install 'esrgan[{extra}]' ({', '.join(modules)} not installed)"


def needs_extra(extra: str, module: str) -> ModuleType:
    """``module`` from the optional extra ``extra``, imported; if it is not installed the test is
    skipped (at module level: the whole file) with a reason naming the extra (``nox -s tests-X(minimal)``)."""
    if importlib.util.find_spec(module.split(".")[0]) is None:
        pytest.skip(_skip_reason(extra, [module]), allow_module_level=True)
    return importlib.import_module(module)


def requires_extra(extra: str, *modules: str) -> pytest.MarkDecorator:
    """A skipif marker: skip unless every module of the optional extra ``extra`` is installed."""
    missing = [m for m in modules if importlib.util.find_spec(m.split(".")[0]) is None]
    return pytest.mark.skipif(bool(missing), reason=_skip_reason(extra, missing or list(modules)))


EXAMPLE_PLUGIN_DIR = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "esrgan-example-plugin"


@pytest.fixture(scope="session")
def example_plugin():
    """The example third-party plugin module (examples/esrgan-example-plugin), importable."""
    import importlib
    import sys

    if str(EXAMPLE_PLUGIN_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_PLUGIN_DIR))
    return importlib.import_module("esrgan_example_plugin")


@pytest.fixture(autouse=True)
def _fresh_accelerate_state():
    """Each run makes one Accelerator; tests run many runs in one process, so Accelerate's
    process-wide state is reset after each test (as accelerate's own AccelerateTestCase does)."""
    yield
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
