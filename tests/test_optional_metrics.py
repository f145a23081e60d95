"""Default perceptual metrics are left out (one log line) when their weights cannot be had; others are kept."""

from __future__ import annotations

import logging
import types

import pytest

from esrgan_core import weights
from esrgan_core.hookspecs import hookimpl
from esrgan_core.optional_metrics import build_available
from esrgan_core.plugins import load_plugins
from esrgan_core.weights_registry import WeightsFile
from tests.conftest import requires_extra


class _NeedsWeights:
    name, higher_is_better, per_image = "needs_weights", False, True

    def __init__(self, params: object) -> None:
        self.file = weights.resolve("test_absent_blob")  # the real lookup: absent everywhere, suite offline

    def __call__(self, sr, hr) -> float:
        return 0.0


@hookimpl
def register_metrics(register) -> None:
    register("needs_weights", _NeedsWeights, help="a metric whose weights are missing")


@requires_extra("metrics", "stlpips_pytorch")  # stlpips is the kept default metric
def test_missing_weights_leave_the_metric_out_with_a_log_line(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("ESRGAN_WEIGHTS_DIR", raising=False)
    entry = WeightsFile("test_absent_blob", "absent.bin", "https://example.invalid/absent.bin", "0" * 64, 1,
                        "test", "the needs_weights metric", "test")
    weights.register_weights(entry)
    try:
        host = load_plugins(extra_plugins=[("needs_weights_plugin", types.SimpleNamespace(register_metrics=register_metrics))])
        with caplog.at_level(logging.WARNING, logger="esrgan.metrics"):
            built = build_available(host.registries, ["psnr", "needs_weights", "stlpips"])
    finally:
        weights.unregister_weights(entry.name)
    assert [m.name for m in built] == ["psnr", "stlpips"]
    assert "needs_weights left out" in caplog.text and "absent.bin" in caplog.text and "offline" in caplog.text


def test_an_unknown_name_is_still_an_error() -> None:
    from esrgan_core.errors import ConfigError

    with pytest.raises(ConfigError, match="nosuch"):
        build_available(load_plugins().registries, ["nosuch"])
