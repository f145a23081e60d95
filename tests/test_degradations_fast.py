"""The fast paths of the degradations equal their plain definitions (to float rounding).

filter2d's FFT (one sample at a time, 5-smooth FFT sizes) against the grouped direct convolution,
usm_sharpen's FFT blur against the separable passes, and the Poisson level count against
``torch.unique`` per sample.
"""

from __future__ import annotations

import pytest
import torch

from esrgan_core.degradation.filtering import (
    FFT_FROM,
    fast_len,
    filter2d,
    gaussian_taps,
    separable_filter,
    usm_kernel_size,
    usm_sharpen,
)
from esrgan_core.degradation.levels import quantize
from esrgan_plugins.degradations.blur import BlurParams, draw_kernels
from esrgan_plugins.degradations.noise import distinct_levels


def _smooth(n: int) -> bool:
    for p in (2, 3, 5):
        while n % p == 0:
            n //= p
    return n == 1


def test_fast_len_is_the_smallest_5_smooth_length_not_below_n():
    for n in range(1, 700):
        want = next(m for m in range(n, 2 * n + 2) if _smooth(m))
        assert fast_len(n) == want, n


@pytest.mark.parametrize("hw", [(37, 29), (45, 61), (5, 8), (100, 75)])
def test_filter2d_fft_equals_the_per_sample_direct_correlation(hw):
    g = torch.Generator().manual_seed(3)
    x = torch.rand(4, 3, *hw, generator=g)
    kernels, _ = draw_kernels(BlurParams(), g, 4, torch.device("cpu"))  # 21x21, sinc and Gaussian families
    assert kernels.shape[-1] >= FFT_FROM  # so "auto" takes the FFT
    auto = filter2d(x, kernels)
    for i in range(4):
        want = filter2d(x[i:i + 1], kernels[i:i + 1], method="conv")
        assert torch.allclose(auto[i:i + 1], want, atol=2e-6), i
    shared = filter2d(x, kernels[:1], method="fft")
    assert torch.allclose(shared, filter2d(x, kernels[:1].expand(4, -1, -1), method="conv"), atol=2e-6)


def test_usm_fft_equals_the_separable_passes():
    x = torch.rand(3, 3, 64, 90, generator=torch.Generator().manual_seed(4))
    taps = gaussian_taps(usm_kernel_size(50))
    blur = filter2d(x, torch.outer(taps, taps).unsqueeze(0), method="fft")
    assert torch.allclose(blur, separable_filter(x, taps), atol=2e-6)
    fft = usm_sharpen(x)  # the default on a CPU
    assert torch.equal(fft, usm_sharpen(x, fft=True))
    # as in test_kernels: a rounding-level change can flip a mask pixel sitting on the threshold
    assert float((fft - usm_sharpen(x, fft=False)).abs().mean()) < 1e-6


def test_distinct_levels_counts_what_unique_counts():
    g = torch.Generator().manual_seed(5)
    x = torch.cat([torch.rand(2, 3, 20, 30, generator=g), torch.rand(2, 3, 20, 30, generator=g) * 0.1,
                   torch.full((1, 3, 20, 30), 0.5), torch.rand(1, 3, 20, 30, generator=g) * 1.4 - 0.2])
    q = quantize(x, 8)
    want = [torch.unique(q[i]).numel() for i in range(len(x))]
    assert distinct_levels(x).tolist() == want
    assert distinct_levels(x[:, :1]).tolist() == [torch.unique(q[i, :1]).numel() for i in range(len(x))]
