"""ms_ssim(_l1), fft, focal_frequency, color, sobel_edge, ldl against direct implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from esrgan_plugins.losses import (
    ColorLoss,
    ColorLossParams,
    FFTLoss,
    FFTLossParams,
    FocalFrequencyLoss,
    FocalFrequencyLossParams,
    LDLLoss,
    LDLLossParams,
    MSSSIML1Loss,
    MSSSIML1LossParams,
    MSSSIMLoss,
    MSSSIMLossParams,
    SobelEdgeLoss,
    SobelEdgeLossParams,
)
from esrgan_plugins.losses.color import rgb_to_oklab
from esrgan_plugins.losses.ldl import artifact_map


def _pair(seed=0, shape=(2, 3, 8, 8)):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g, dtype=torch.float64).float(), torch.rand(shape, generator=g).float()


def _grad_flows(loss, **extra):
    sr, gt = _pair(9, (1, 3, 16, 16))
    sr.requires_grad_(True)
    value = sum(loss(sr=sr, gt=gt, **extra).values())
    value.backward()
    assert torch.isfinite(sr.grad).all() and sr.grad.abs().sum() > 0


# ---- MS-SSIM ----------------------------------------------------------------------------------
def _direct_ms_ssim(x, y, sigmas, alpha):
    """Per-pixel loops (float64, zero outside the image) of the Zhao et al. formula."""
    x, y = x.double().numpy(), y.double().numpy()
    n, c, h, w = x.shape
    r = math.ceil(2 * max(sigmas))
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    out = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i in range(h):
                for j in range(w):
                    ms, g_l1 = 1.0, 0.0
                    for k, s in enumerate(sigmas):
                        z = sum(math.exp(-(dy * dy + dx * dx) / (2 * s * s)) for dy in range(-r, r + 1) for dx in range(-r, r + 1))
                        mx = my = xx = yy = xy = l1 = 0.0
                        for dy in range(-r, r + 1):
                            for dx in range(-r, r + 1):
                                q, p = i + dy, j + dx
                                if 0 <= q < h and 0 <= p < w:
                                    wt = math.exp(-(dy * dy + dx * dx) / (2 * s * s)) / z
                                    a, bb = x[b, ch, q, p], y[b, ch, q, p]
                                    mx, my, xx, yy, xy, l1 = mx + wt * a, my + wt * bb, xx + wt * a * a, yy + wt * bb * bb, xy + wt * a * bb, l1 + wt * abs(a - bb)
                        ms *= (2 * (xy - mx * my) + c2) / (xx - mx * mx + yy - my * my + c2)
                        if k == len(sigmas) - 1:
                            ms *= (2 * mx * my + c1) / (mx * mx + my * my + c1)
                            g_l1 = l1
                    out[b, ch, i, j] = alpha * (1 - ms) + (1 - alpha) * g_l1
    return out.mean()


@pytest.mark.parametrize("alpha", [1.0, 0.84])
def test_ms_ssim_matches_a_per_pixel_implementation(alpha):
    sr, gt = _pair(1, (1, 2, 6, 6))
    sigmas = (0.5, 1.0)
    if alpha == 1.0:
        value = MSSSIMLoss(MSSSIMLossParams(sigmas=sigmas, weight=2.0))(sr=sr, gt=gt)["l_g_ms_ssim"]
    else:
        value = MSSSIML1Loss(MSSSIML1LossParams(sigmas=sigmas, weight=2.0))(sr=sr, gt=gt)["l_g_ms_ssim_l1"]
    assert value.item() == pytest.approx(2.0 * _direct_ms_ssim(sr, gt, sigmas, alpha), rel=1e-4)


def test_ms_ssim_of_identical_images_is_zero_and_grows_with_noise():
    _, gt = _pair(2, (2, 3, 24, 24))
    for cls, params in ((MSSSIMLoss, MSSSIMLossParams()), (MSSSIML1Loss, MSSSIML1LossParams())):
        loss = cls(params)
        assert next(iter(loss(sr=gt.clone(), gt=gt).values())).item() == pytest.approx(0.0, abs=1e-6)
        noise = torch.randn(gt.shape, generator=torch.Generator().manual_seed(0))
        small = next(iter(loss(sr=gt + 0.02 * noise, gt=gt).values())).item()
        large = next(iter(loss(sr=gt + 0.2 * noise, gt=gt).values())).item()
        assert 0 < small < large
        _grad_flows(loss)
    assert MSSSIML1LossParams().alpha == 0.84 and MSSSIMLossParams().sigmas == (0.5, 1.0, 2.0, 4.0, 8.0)


# ---- FFT and focal frequency -----------------------------------------------------------------
def _np_spectra(x, y):
    return np.fft.fft2(x.double().numpy(), norm="ortho"), np.fft.fft2(y.double().numpy(), norm="ortho")


def test_fft_loss_matches_numpy():
    sr, gt = _pair(3)
    fx, fy = _np_spectra(sr, gt)
    amp = np.abs(np.abs(fx) - np.abs(fy)).mean()
    phase = np.abs(np.angle(fx * np.conj(fy))).mean()
    value = FFTLoss(FFTLossParams(weight=0.5, amplitude_weight=2.0, phase_weight=0.3))(sr=sr, gt=gt)["l_g_fft"]
    assert value.item() == pytest.approx(0.5 * (2.0 * amp + 0.3 * phase), rel=1e-4)
    _grad_flows(FFTLoss(FFTLossParams()))


def test_fft_loss_of_a_pure_phase_shift():
    gt, _ = _pair(4, (1, 3, 8, 16))
    dy, dx = 1, 3
    sr = torch.roll(gt, shifts=(dy, dx), dims=(-2, -1))  # circular shift: amplitudes unchanged
    amp_only = FFTLoss(FFTLossParams(phase_weight=0.0))(sr=sr, gt=gt)["l_g_fft"]
    assert amp_only.item() == pytest.approx(0.0, abs=1e-6)
    u = np.arange(8)[:, None] / 8
    v = np.arange(16)[None, :] / 16
    theta = -2 * np.pi * (u * dy + v * dx)  # arg F_sr - arg F_gt of the shift theorem
    wrapped = np.abs(np.angle(np.exp(1j * theta)))
    phase_only = FFTLoss(FFTLossParams(amplitude_weight=0.0))(sr=sr, gt=gt)["l_g_fft"]
    assert phase_only.item() == pytest.approx(wrapped.mean(), rel=1e-4)


@pytest.mark.parametrize("patch_factor,log_matrix,batch_matrix", [(1, False, False), (2, True, True)])
def test_focal_frequency_matches_numpy(patch_factor, log_matrix, batch_matrix):
    sr, gt = _pair(5)
    f = patch_factor
    x, y = sr.double().numpy(), gt.double().numpy()
    ph = 8 // f
    px = np.stack([x[:, :, i * ph:(i + 1) * ph, j * ph:(j + 1) * ph] for i in range(f) for j in range(f)], 1)
    py = np.stack([y[:, :, i * ph:(i + 1) * ph, j * ph:(j + 1) * ph] for i in range(f) for j in range(f)], 1)
    fx, fy = np.fft.fft2(px, norm="ortho"), np.fft.fft2(py, norm="ortho")
    d = np.abs(fx - fy)
    w = d ** 1.0
    if log_matrix:
        w = np.log(1 + w)
    w = w / (w.max() if batch_matrix else w.max(axis=(-2, -1), keepdims=True))
    expected = 0.7 * (w * d ** 2).mean()
    params = FocalFrequencyLossParams(weight=0.7, patch_factor=f, log_matrix=log_matrix, batch_matrix=batch_matrix)
    assert FocalFrequencyLoss(params)(sr=sr, gt=gt)["l_g_ffl"].item() == pytest.approx(expected, rel=1e-4)
    _grad_flows(FocalFrequencyLoss(FocalFrequencyLossParams()))
    assert FocalFrequencyLoss(FocalFrequencyLossParams())(sr=gt, gt=gt)["l_g_ffl"].item() == 0


# ---- colour -----------------------------------------------------------------------------------
def _np_oklab(rgb):
    c = np.clip(rgb.double().numpy(), 0, 1)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929], [0.2119034982, 0.6806995451, 0.1073969566],
                   [0.0883024619, 0.2817188376, 0.6299787005]])
    m2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468], [1.9779984951, -2.4285922050, 0.4505937099],
                   [0.0259040371, 0.7827717662, -0.8086757660]])
    lms = np.cbrt(np.maximum(np.einsum("ij,njhw->nihw", m1, lin), 1e-6))
    return np.einsum("ij,njhw->nihw", m2, lms)


def _np_oklab_to_rgb(lab):
    """Ottosson's inverse (a different matrix path than the forward one)."""
    L, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    l_, m_, s_ = L + 0.3963377774 * a + 0.2158037573 * b, L - 0.1055613458 * a - 0.0638541728 * b, L - 0.0894841775 * a - 1.2914855480 * b
    l3, m, s = l_ ** 3, m_ ** 3, s_ ** 3
    lin = np.stack([4.0767416621 * l3 - 3.3077115913 * m + 0.2309699292 * s,
                    -1.2684380046 * l3 + 2.6097574011 * m - 0.3413193965 * s,
                    -0.0041960863 * l3 - 0.7034186147 * m + 1.7076147010 * s], 1)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.abs(lin) ** (1 / 2.4) - 0.055)


def test_oklab_of_known_colours():
    rgb = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]).T.reshape(1, 3, 3, 1)
    lab = rgb_to_oklab(rgb)[0, :, :, 0].T
    expected = torch.tensor([[0.627955, 0.224863, 0.125846], [1.0, 0.0, 0.0], [0.452014, -0.032457, -0.311528]])
    torch.testing.assert_close(lab, expected, atol=2e-4, rtol=0)


def test_color_loss_matches_definition_and_ignores_a_lightness_only_change():
    sr, gt = _pair(6)
    d = np.abs(_np_oklab(sr) - _np_oklab(gt))
    out = ColorLoss(ColorLossParams(weight=2.0, chroma_weight=1.0, luma_weight=0.5))(sr=sr, gt=gt)
    assert out["l_g_color_chroma"].item() == pytest.approx(2.0 * d[:, 1:].mean(), rel=1e-4)
    assert out["l_g_color_luma"].item() == pytest.approx(2.0 * 0.5 * d[:, :1].mean(), rel=1e-4)

    lab = _np_oklab(0.25 + 0.5 * gt)  # mid-range colours, so the lightness change stays in gamut
    brighter = lab.copy()
    brighter[:, 0] += 0.05
    a = torch.from_numpy(_np_oklab_to_rgb(lab)).float()
    b = torch.from_numpy(_np_oklab_to_rgb(brighter)).float()
    assert a.min() > 0 and b.max() < 1
    chroma_only = ColorLoss(ColorLossParams())(sr=b, gt=a)
    assert set(chroma_only) == {"l_g_color_chroma"} and chroma_only["l_g_color_chroma"].item() < 1e-5
    assert ColorLoss(ColorLossParams(chroma_weight=0.0, luma_weight=1.0))(sr=b, gt=a)["l_g_color_luma"].item() == pytest.approx(0.05, rel=1e-3)
    _grad_flows(ColorLoss(ColorLossParams(luma_weight=1.0)))
    assert not ColorLoss(ColorLossParams(chroma_weight=0.0)).enabled


# ---- sobel ------------------------------------------------------------------------------------
def test_sobel_edge_matches_direct_convolution():
    sr, gt = _pair(7, (1, 2, 5, 6))
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)

    def grads(t):
        a = np.pad(t.double().numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
        out = np.zeros((2, *t.shape))
        for k, ker in enumerate((kx, kx.T)):
            for i in range(t.shape[2]):
                for j in range(t.shape[3]):
                    out[k, :, :, i, j] = (a[:, :, i:i + 3, j:j + 3] * ker).sum(axis=(-2, -1))
        return out

    expected = 0.3 * np.abs(grads(sr) - grads(gt)).mean()
    assert SobelEdgeLoss(SobelEdgeLossParams(weight=0.3))(sr=sr, gt=gt)["l_g_edge"].item() == pytest.approx(expected, rel=1e-5)
    flat = torch.full((1, 3, 6, 6), 0.4)
    assert SobelEdgeLoss(SobelEdgeLossParams())(sr=flat + 0.2, gt=flat)["l_g_edge"].item() < 1e-6  # no edge, no loss
    _grad_flows(SobelEdgeLoss(SobelEdgeLossParams()))


# ---- LDL --------------------------------------------------------------------------------------
def _np_artifact_map(sr, ema, gt, k):
    r = np.abs(gt - sr).sum(1)
    r_ema = np.abs(gt - ema).sum(1)
    out = np.zeros_like(r)
    pad = k // 2
    for b in range(r.shape[0]):
        patch = r[b].var(ddof=1) ** 0.2
        rp = np.pad(r[b], pad, mode="reflect")
        for i in range(r.shape[1]):
            for j in range(r.shape[2]):
                out[b, i, j] = patch * rp[i:i + k, j:j + k].var(ddof=1)
    out[r < r_ema] = 0
    return out[:, None]


def test_ldl_matches_the_official_formula():
    sr, gt = _pair(8, (2, 3, 10, 10))
    ema = 0.5 * sr + 0.5 * gt + 0.05 * torch.randn(sr.shape, generator=torch.Generator().manual_seed(1))
    m = _np_artifact_map(sr.double().numpy(), ema.double().numpy(), gt.double().numpy(), 5)
    torch.testing.assert_close(artifact_map(sr.double(), ema.double(), gt.double(), 5), torch.from_numpy(m))
    loss = LDLLoss(LDLLossParams(weight=0.5, kernel_size=5))
    assert loss.inputs == ("sr", "sr_ema", "gt")
    expected = 0.5 * np.abs(m * sr.double().numpy() - m * gt.double().numpy()).mean()
    assert loss(sr=sr, sr_ema=ema, gt=gt)["l_g_ldl"].item() == pytest.approx(expected, rel=1e-4)
    _grad_flows(loss, sr_ema=_pair(9, (1, 3, 16, 16))[1])
    with pytest.raises(ValueError, match="sr_ema"):
        loss(sr=sr, gt=gt)


def test_ldl_map_is_zero_without_error_and_larger_on_high_frequency_artefacts():
    gt = torch.linspace(0.2, 0.8, 16).repeat(1, 3, 16, 1)
    assert artifact_map(gt.clone(), gt, gt).abs().max() == 0
    region = (slice(None), slice(None), slice(4, 12), slice(4, 12))
    checker = ((torch.arange(16)[:, None] + torch.arange(16)[None, :]) % 2).float()  # 0/1 checkerboard
    hf, flat = gt.clone(), gt.clone()
    hf[region] += 0.1 * checker[4:12, 4:12]
    flat[region] += 0.05
    assert (hf - gt).abs().sum().item() == pytest.approx((flat - gt).abs().sum().item(), rel=1e-4)  # equal L1
    m_hf, m_flat = artifact_map(hf, gt, gt), artifact_map(flat, gt, gt)
    assert m_hf.sum() > 2 * m_flat.sum()  # the flat error only shows at its border
    loss = LDLLoss(LDLLossParams())
    assert loss(sr=hf, sr_ema=gt, gt=gt)["l_g_ldl"] > 2 * loss(sr=flat, sr_ema=gt, gt=gt)["l_g_ldl"]
    inner = (slice(None), slice(None), slice(7, 9), slice(7, 9))  # more than k/2 inside the flat error
    assert m_flat[inner].abs().max() == 0 and m_hf[inner].min() > 0
    far = (slice(None), slice(None), slice(0, 1), slice(0, 1))  # more than k/2 from any error
    assert m_hf[far].abs().max() == 0
    assert artifact_map(hf, hf * 2, gt).abs().max() == 0  # the EMA model errs more everywhere: no artefact


def test_statistics_losses_ignore_autocast():
    _, gt = _pair(10, (1, 3, 16, 16))
    sr = (gt + 0.01 * torch.randn(gt.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)  # small losses
    sr, gt = sr.bfloat16().float(), gt.bfloat16().float()  # what a bf16 network gives, in both cases
    for loss in (MSSSIMLoss(MSSSIMLossParams()), ColorLoss(ColorLossParams(luma_weight=1.0)), FFTLoss(FFTLossParams()),
                 FocalFrequencyLoss(FocalFrequencyLossParams()), SobelEdgeLoss(SobelEdgeLossParams())):
        ref = loss(sr=sr, gt=gt)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = loss(sr=sr.bfloat16(), gt=gt.bfloat16())
        for k, v in low.items():
            assert v.dtype == torch.float32
            assert v.item() == pytest.approx(ref[k].item(), rel=2e-2), type(loss).__name__
