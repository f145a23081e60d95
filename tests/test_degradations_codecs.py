"""The codec stages (video_codec, image_codec, chroma_subsample): statistics that follow from what they do.

Lower quality settings give lower PSNR on the same crop; chroma subsampling leaves luma as it was
and makes chroma constant over each block (box + nearest); every stage is reproducible from the
generator, keeps odd sizes, and bad values are one-line config errors naming the key.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from esrgan_core.degradation import DegradationBatch
from esrgan_core.degradation.pipeline import Pipeline
from esrgan_core.errors import ConfigError
from esrgan_core.photos import load_photo
from esrgan_core.plugins import load_plugins
from esrgan_plugins.degradations import video_codec as vc
from esrgan_plugins.degradations.chroma import rgb_to_ycbcr
from tests.conftest import requires_extra


@pytest.fixture(scope="module")
def registries():
    return load_plugins().registries


def crop(name: str = "astronaut", top: int = 100, left: int = 150, h: int = 48, w: int = 64) -> torch.Tensor:
    img = load_photo(name)[top:top + h, left:left + w]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div(255).unsqueeze(0)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return 10 * math.log10(1.0 / float(((a - b) ** 2).mean()))


def run(stage: dict, x: torch.Tensor, registries, seed: int = 0) -> DegradationBatch:
    pipeline = Pipeline.from_dicts([stage], registries, quantize=False)
    return pipeline.stages[0](DegradationBatch.from_gt(x.clone(), 1), torch.Generator().manual_seed(seed))


@requires_extra("video", "av")
def test_available_codecs_are_listed_and_include_h264():
    assert "h264" in vc.available_codecs()
    assert set(vc.available_codecs()) <= set(vc.ENCODERS)


@requires_extra("video", "av")
def test_h264_at_crf_51_loses_more_than_at_crf_18(registries):
    x = crop()
    lo = run({"type": "video_codec", "codecs": ["h264"], "crf": [51, 51]}, x, registries)
    hi = run({"type": "video_codec", "codecs": ["h264"], "crf": [18, 18]}, x, registries)
    assert lo.record[0]["video_codec"] == {"codec": "h264", "crf": 51}
    assert psnr(hi.lq, x) > 30 and psnr(lo.lq, x) < psnr(hi.lq, x) - 6


@requires_extra("video", "av")
@pytest.mark.parametrize("codec", [c for c in ("hevc", "mpeg2video", "mpeg4", "vp9") if c in vc.available_codecs()])
def test_each_codec_gets_worse_with_a_coarser_quantiser(codec, registries):
    x = crop()
    key, fine, coarse = ("qscale", 2, 31) if codec in ("mpeg2video", "mpeg4") else ("crf", 15, vc.CRF_MAX[codec])
    good = run({"type": "video_codec", "codecs": [codec], key: [fine, fine]}, x, registries)
    bad = run({"type": "video_codec", "codecs": [codec], key: [coarse, coarse]}, x, registries)
    assert good.record[0]["video_codec"] == {"codec": codec, key: fine}
    assert psnr(good.lq, x) > 28 and psnr(bad.lq, x) < psnr(good.lq, x) - 3


@requires_extra("video", "av")
def test_a_moving_clip_is_reproducible_and_keeps_odd_sizes(registries):
    x = torch.cat([crop(h=25, w=31), crop("coffee", 50, 60, 25, 31)])
    stage = {"type": "video_codec", "frames": 5, "motion": [1, 3], "crf": [28, 34]}
    a, b = run(stage, x, registries, seed=3), run(stage, x, registries, seed=3)
    assert a.lq.shape == x.shape and torch.equal(a.lq, b.lq) and a.record == b.record
    rec = a.record[0]["video_codec"]
    assert rec["frames"] == 5 and 0 <= rec["frame"] < 5 and 1 <= math.hypot(*rec["motion"]) <= 3
    single = run({**stage, "frames": 1}, x, registries, seed=3)
    assert not torch.equal(single.lq, a.lq)  # the kept frame is coded from its moving neighbours
    assert psnr(a.lq, x) > 20


@requires_extra("video", "av")
def test_prob_leaves_the_other_samples_untouched(registries):
    x = torch.cat([crop(), crop("coffee", 10, 10)] * 3)
    out = run({"type": "video_codec", "prob": 0.5}, x, registries, seed=1)
    skipped = [i for i, r in enumerate(out.record) if r["video_codec"] == {"applied": False}]
    assert 0 < len(skipped) < len(x)
    for i in range(len(x)):
        assert torch.equal(out.lq[i], x[i]) == (i in skipped)


@requires_extra("video", "av")  # the pix_fmt check asks PyAV what the encoder takes
def test_bad_video_codec_values_are_config_errors(registries, monkeypatch):
    with pytest.raises(ConfigError, match=r"stages\[0\]\.crf: CRF 80 is outside h264's range \[0, 51\]"):
        Pipeline.from_dicts([{"type": "video_codec", "crf": [20, 80]}], registries)
    with pytest.raises(ConfigError, match=r"stages\[0\]\.codecs"):
        Pipeline.from_dicts([{"type": "video_codec", "codecs": ["av2"]}], registries)
    with pytest.raises(ConfigError, match=r"mpeg4 cannot encode yuv422p"):
        Pipeline.from_dicts([{"type": "video_codec", "codecs": ["mpeg4"], "pix_fmt": "yuv422p"}], registries)
    monkeypatch.setattr(vc, "available_codecs", lambda: ("h264",))  # a PyAV build without libx265
    with pytest.raises(ConfigError, match=r"codecs: codec 'hevc' is not in this PyAV build; available: h264"):
        Pipeline.from_dicts([{"type": "video_codec", "codecs": ["hevc"]}], registries)


@pytest.mark.parametrize("fmt", ["webp", "avif"])
def test_image_codec_quality_orders_psnr(fmt, registries):
    x = crop()
    good = run({"type": "image_codec", "formats": [fmt], "quality": [95, 95]}, x, registries)
    bad = run({"type": "image_codec", "formats": [fmt], "quality": [5, 5]}, x, registries)
    assert good.record[0]["image_codec"] == {"format": fmt, "quality": 95}
    assert psnr(good.lq, x) > 30 and psnr(bad.lq, x) < psnr(good.lq, x) - 5
    again = run({"type": "image_codec", "formats": [fmt], "quality": [5, 5]}, x, registries)
    assert torch.equal(bad.lq, again.lq)


def test_chroma_420_keeps_luma_and_averages_chroma_over_2x2_blocks(registries):
    x = crop()
    out = run({"type": "chroma_subsample", "down": ["box"], "up": ["nearest"], "clip": False}, x, registries).lq
    yin, yout = rgb_to_ycbcr(x), rgb_to_ycbcr(out)
    assert torch.allclose(yout[:, 0], yin[:, 0], atol=1e-6)
    blocks = torch.nn.functional.avg_pool2d(yin[:, 1:], 2).repeat_interleave(2, -2).repeat_interleave(2, -1)
    assert torch.allclose(yout[:, 1:], blocks, atol=1e-6)
    # with the bilinear (fancy) upsampler chroma is smoother than the input's: less high-frequency energy
    fancy = rgb_to_ycbcr(run({"type": "chroma_subsample", "clip": False}, x, registries).lq)

    def hf(c):
        return float((c[..., 1:, :] - c[..., :-1, :]).pow(2).mean() + (c[..., 1:] - c[..., :-1]).pow(2).mean())

    assert torch.allclose(fancy[:, 0], yin[:, 0], atol=1e-6) and hf(fancy[:, 1:]) < 0.7 * hf(yin[:, 1:])


def test_chroma_422_only_halves_horizontally_and_odd_sizes_work(registries):
    x = crop(h=23, w=33)
    out = run({"type": "chroma_subsample", "modes": ["422"], "down": ["point"], "up": ["nearest"], "clip": False},
              x, registries).lq
    c_in, c_out = rgb_to_ycbcr(x)[:, 1:], rgb_to_ycbcr(out)[:, 1:]
    assert out.shape == x.shape
    assert torch.allclose(c_out[..., 0::2], c_in[..., 0::2], atol=1e-6)  # kept columns
    assert torch.allclose(c_out[..., 1::2], c_in[..., 0:-1:2], atol=1e-6)  # replicated from the left


def test_chroma_draws_come_from_the_generator(registries):
    x = torch.cat([crop()] * 8)
    stage = {"type": "chroma_subsample", "modes": ["420", "422"], "up": ["nearest", "bilinear", "bicubic"]}
    a, b, c = run(stage, x, registries, 5), run(stage, x, registries, 5), run(stage, x, registries, 6)
    assert torch.equal(a.lq, b.lq) and a.record == b.record and a.record != c.record
