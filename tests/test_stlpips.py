"""ST-LPIPS: our network equals the stlpips_pytorch package's model; identity, symmetry, channel order, range."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import skimage.data
import torch

from esrgan_core.schema import from_dict
from esrgan_plugins.metrics.stlpips_metric import StLpips, StLpipsParams
from tests.conftest import needs_extra

needs_extra("metrics", "stlpips_pytorch")  # the ST-LPIPS weights ship in that wheel


def _reference_package():
    """stlpips_pytorch's own LPIPS class. The wheel imports IPython and torchsummary without using them
    (and without declaring them); inert placeholders stand in for them during the import only."""
    placed = []
    for name, attr in (("IPython", "embed"), ("torchsummary", "summary")):
        try:
            __import__(name)
        except ImportError:
            mod = types.ModuleType(name)
            setattr(mod, attr, None)
            sys.modules[name] = mod
            placed.append(name)
    try:
        from stlpips_pytorch import stlpips
    finally:
        for name in placed:
            del sys.modules[name]
    return stlpips


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    """A photo crop (uint8 RGB) and a noisy, slightly shifted version of it."""
    a = skimage.data.astronaut()
    hr = a[120:184, 180:244]
    rng = np.random.default_rng(0)
    sr = np.clip(a[121:185, 181:245].astype(np.float64) + rng.normal(0, 12, hr.shape), 0, 255).astype(np.uint8)
    return sr, hr


@pytest.fixture(scope="module", params=["alex", "vgg"])
def metric(request) -> StLpips:
    return StLpips(from_dict(StLpipsParams, {"net": request.param, "device": "cpu"}))


def test_equals_the_stlpips_pytorch_model_on_the_same_images(metric: StLpips, images) -> None:
    sr, hr = images
    ref = _reference_package().LPIPS(net=metric.params.net, variant="shift_tolerant", verbose=False).eval()

    def t(u8: np.ndarray) -> torch.Tensor:  # the package's documented input: RGB NCHW in [-1, 1]
        return torch.from_numpy(u8.transpose(2, 0, 1).copy()).float()[None] / 127.5 - 1

    with torch.no_grad():
        expected = float(ref(t(sr), t(hr)).item())
    assert metric(sr, hr) == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert metric(sr / 255.0, hr / 255.0) == pytest.approx(expected, rel=1e-5, abs=1e-7)  # float [0,1] input
    assert expected > 0.01


def test_identical_images_score_zero_and_the_distance_is_symmetric(metric: StLpips, images) -> None:
    sr, hr = images
    assert metric(hr, hr) == 0.0
    assert metric(sr, hr) == pytest.approx(metric(hr, sr), rel=1e-6)
    assert (metric.name, metric.higher_is_better) == ({"alex": "stlpips", "vgg": "stlpips_vgg"}[metric.params.net], False)


def test_channel_order_matters(metric: StLpips, images) -> None:
    """Swapping R and B is a real difference (the network sees RGB in the order it was trained on)."""
    _, hr = images
    assert metric(hr[..., ::-1], hr) > 0.01


def test_more_noise_scores_higher(metric: StLpips, images) -> None:
    _, hr = images
    rng = np.random.default_rng(1)
    n = rng.normal(0, 1, hr.shape)
    scores = [metric(np.clip(hr / 255.0 + s * n, 0, 1), hr) for s in (0.01, 0.05, 0.2)]
    assert scores == sorted(scores) and scores[0] < scores[-1]
