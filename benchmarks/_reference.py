"""The real reference (BasicSR 1.4.2 + Real-ESRGAN 0.3.0, ``pip install 'esrgan[bench]'``) for the benchmarks.

Optional: :func:`available` is False (and :data:`NOT_INSTALLED` goes into the JSON) when the packages
are absent or ``ESRGAN_BENCH_NO_REFERENCE=1`` hides them. BasicSR 1.4.2 imports
``torchvision.transforms.functional_tensor``, which newer torchvision removed; :func:`_shim` puts a
module of that name (``rgb_to_grayscale`` from ``torchvision.transforms.functional``) into
``sys.modules`` for this process only. And BasicSR's ``filter2D`` calls ``.view`` on the padded
batch, which new torch refuses for the non-contiguous tensors DiffJPEG + ``F.interpolate`` hand it
(final-stage order "JPEG first"); :func:`filter2d` makes the input contiguous first (a no-op
otherwise), and :func:`matches_package` lends that same fix to the package's module.

Degradation: kernels are made one sample at a time exactly as ``RealESRGANDataset.__getitem__``
does (Python ``random`` + numpy, ``random_mixed_kernels`` / ``circular_lowpass_kernel``), and the
batch is degraded by :func:`feed_data`: the steps of ``RealESRGANModel.feed_data`` (USM on the GT,
both degradations, final stage, quantise, paired crop) calling BasicSR's functions, without the
training-pair pool and the re-sharpening of the dequeued crop (neither is a degradation; our timed
pipeline has neither). :func:`matches_package` runs the package's own ``feed_data`` (pool disabled)
under the same seeds and checks that the LQ and GT are identical, so the copy cannot drift.
"""

from __future__ import annotations

import os
import random
import sys
import types
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

NOT_INSTALLED = "not installed (pip install 'esrgan[bench]')"
HIDE_ENV = "ESRGAN_BENCH_NO_REFERENCE"

# Real-ESRGAN's options/train_realesrgan_x4plus.yml (the same values as configs/presets/realesrgan_x4plus.yml; docs/degradations.md)
KERNELS = ["iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso"]
OPT: dict[str, Any] = {
    "scale": 4, "gt_size": 256, "queue_size": 180,
    "resize_prob": [0.2, 0.7, 0.1], "resize_range": [0.15, 1.5], "gaussian_noise_prob": 0.5,
    "noise_range": [1, 30], "poisson_scale_range": [0.05, 3], "gray_noise_prob": 0.4, "jpeg_range": [30, 95],
    "second_blur_prob": 0.8, "resize_prob2": [0.3, 0.4, 0.3], "resize_range2": [0.3, 1.2],
    "gaussian_noise_prob2": 0.5, "noise_range2": [1, 25], "poisson_scale_range2": [0.05, 2.5],
    "gray_noise_prob2": 0.4, "jpeg_range2": [30, 95],
    "kernel_list": KERNELS, "kernel_prob": [0.45, 0.25, 0.12, 0.03, 0.12, 0.03], "sinc_prob": 0.1,
    "blur_sigma": [0.2, 3], "betag_range": [0.5, 4], "betap_range": [1, 2],
    "kernel_list2": KERNELS, "kernel_prob2": [0.45, 0.25, 0.12, 0.03, 0.12, 0.03], "sinc_prob2": 0.1,
    "blur_sigma2": [0.2, 1.5], "betag_range2": [0.5, 4], "betap_range2": [1, 2], "final_sinc_prob": 0.8,
}
KERNEL_RANGE = [2 * v + 1 for v in range(3, 11)]  # 7..21, hard-coded in RealESRGANDataset


def _shim() -> None:
    name = "torchvision.transforms.functional_tensor"
    if name not in sys.modules:
        import torchvision.transforms.functional as tvf

        mod = types.ModuleType(name)
        mod.rgb_to_grayscale = tvf.rgb_to_grayscale
        sys.modules[name] = mod


def filter2d(img: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """BasicSR's ``filter2D`` on a contiguous input (see the module docstring)."""
    from basicsr.utils.img_process_util import filter2D

    return filter2D(img.contiguous(), kernel)


def status() -> str:
    """``"installed basicsr X, realesrgan Y"`` or :data:`NOT_INSTALLED` (also when hidden by the env var)."""
    if os.environ.get(HIDE_ENV):
        return NOT_INSTALLED + f" [hidden by {HIDE_ENV}]"
    try:
        _shim()
        from importlib.metadata import version

        import basicsr  # noqa: F401
        import realesrgan  # noqa: F401
    except ImportError:
        return NOT_INSTALLED
    return f"installed: basicsr {version('basicsr')}, realesrgan {version('realesrgan')}"


def available() -> bool:
    return status().startswith("installed")


def _one_kernel(sfx: str) -> np.ndarray:
    from basicsr.data.degradations import circular_lowpass_kernel, random_mixed_kernels

    ks = random.choice(KERNEL_RANGE)
    if np.random.uniform() < OPT["sinc_prob" + sfx]:
        omega_c = np.random.uniform(np.pi / 3, np.pi) if ks < 13 else np.random.uniform(np.pi / 5, np.pi)
        k = circular_lowpass_kernel(omega_c, ks, pad_to=False)
    else:
        k = random_mixed_kernels(OPT["kernel_list" + sfx], OPT["kernel_prob" + sfx], ks, OPT["blur_sigma" + sfx],
                                 OPT["blur_sigma" + sfx], [-np.pi, np.pi], OPT["betag_range" + sfx],
                                 OPT["betap_range" + sfx], noise_range=None)
    pad = (21 - ks) // 2
    return np.pad(k, ((pad, pad), (pad, pad)))


def make_kernels(n: int) -> dict[str, torch.Tensor]:
    """kernel1, kernel2, sinc_kernel (n x 21 x 21) made one sample at a time as ``__getitem__`` does."""
    from basicsr.data.degradations import circular_lowpass_kernel

    pulse = torch.zeros(21, 21)
    pulse[10, 10] = 1
    k1, k2, ks = [], [], []
    for _ in range(n):
        k1.append(torch.FloatTensor(_one_kernel("")))
        k2.append(torch.FloatTensor(_one_kernel("2")))
        if np.random.uniform() < OPT["final_sinc_prob"]:
            size = random.choice(KERNEL_RANGE)
            omega_c = np.random.uniform(np.pi / 3, np.pi)
            ks.append(torch.FloatTensor(circular_lowpass_kernel(omega_c, size, pad_to=21)))
        else:
            ks.append(pulse)
    return {"kernel1": torch.stack(k1), "kernel2": torch.stack(k2), "sinc_kernel": torch.stack(ks)}


class Reference:
    """The reference's per-batch degradation on ``device`` (its DiffJPEG and USMSharp modules)."""

    def __init__(self, device: torch.device) -> None:
        _shim()
        from basicsr.utils import DiffJPEG, USMSharp

        self.device = device
        self.jpeger = DiffJPEG(differentiable=False).to(device)
        self.usm = USMSharp().to(device)

    def _noise(self, out: torch.Tensor, sfx: str) -> torch.Tensor:
        from basicsr.data.degradations import random_add_gaussian_noise_pt, random_add_poisson_noise_pt

        if np.random.uniform() < OPT["gaussian_noise_prob" + sfx]:
            return random_add_gaussian_noise_pt(out, sigma_range=OPT["noise_range" + sfx], clip=True, rounds=False,
                                                gray_prob=OPT["gray_noise_prob" + sfx])
        return random_add_poisson_noise_pt(out, scale_range=OPT["poisson_scale_range" + sfx],
                                           gray_prob=OPT["gray_noise_prob" + sfx], clip=True, rounds=False)

    def _jpeg(self, out: torch.Tensor, key: str) -> torch.Tensor:
        q = out.new_zeros(out.size(0)).uniform_(*OPT[key])
        return self.jpeger(torch.clamp(out, 0, 1), quality=q)

    @staticmethod
    def _scale(prob: list[float], rng: list[float]) -> float:
        kind = random.choices(["up", "down", "keep"], prob)[0]
        return np.random.uniform(1, rng[1]) if kind == "up" else np.random.uniform(rng[0], 1) if kind == "down" else 1

    @torch.no_grad()
    def feed_data(self, data: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(lq, gt, gt_usm)`` as ``RealESRGANModel.feed_data`` makes them before its pair pool."""
        from basicsr.data.transforms import paired_random_crop

        s = OPT["scale"]
        gt = data["gt"].to(self.device)
        gt_usm = self.usm(gt)
        k1, k2, sinc = (data[k].to(self.device) for k in ("kernel1", "kernel2", "sinc_kernel"))
        h, w = gt.shape[2:4]
        out = filter2d(gt_usm, k1)
        scale = self._scale(OPT["resize_prob"], OPT["resize_range"])
        out = F.interpolate(out, scale_factor=scale, mode=random.choice(["area", "bilinear", "bicubic"]))
        out = self._jpeg(self._noise(out, ""), "jpeg_range")
        if np.random.uniform() < OPT["second_blur_prob"]:
            out = filter2d(out, k2)
        scale = self._scale(OPT["resize_prob2"], OPT["resize_range2"])
        out = F.interpolate(out, size=(int(h / s * scale), int(w / s * scale)),
                            mode=random.choice(["area", "bilinear", "bicubic"]))
        out = self._noise(out, "2")
        if np.random.uniform() < 0.5:
            out = F.interpolate(out, size=(h // s, w // s), mode=random.choice(["area", "bilinear", "bicubic"]))
            out = self._jpeg(filter2d(out, sinc), "jpeg_range2")
        else:
            out = self._jpeg(out, "jpeg_range2")
            out = F.interpolate(out, size=(h // s, w // s), mode=random.choice(["area", "bilinear", "bicubic"]))
            out = filter2d(out, sinc)
        lq = torch.clamp((out * 255.0).round(), 0, 255) / 255.0
        (gt, gt_usm), lq = paired_random_crop([gt, gt_usm], lq, OPT["gt_size"], s)
        return lq, gt, gt_usm

    def __call__(self, gt: torch.Tensor) -> torch.Tensor:
        """One batch: per-sample kernels (CPU, as the data loader makes them) + :meth:`feed_data`."""
        return self.feed_data({"gt": gt, **make_kernels(len(gt))})[0]


def seed_all(seed: int) -> None:
    """Seed the three generators the reference draws from (Python, numpy, torch's global one)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def matches_package(gt: torch.Tensor, seed: int = 0) -> bool:
    """True when :meth:`Reference.feed_data` equals the package's ``RealESRGANModel.feed_data`` bit for bit."""
    from realesrgan.models import realesrgan_model
    from realesrgan.models.realesrgan_model import RealESRGANModel

    ref = Reference(gt.device)
    seed_all(seed)
    data = {"gt": gt, **make_kernels(len(gt))}
    lq, crop, _ = ref.feed_data(data)
    model = RealESRGANModel.__new__(RealESRGANModel)  # no networks: only what feed_data reads
    model.opt, model.device, model.is_train = OPT, gt.device, True
    model.jpeger, model.usm_sharpener = ref.jpeger, ref.usm
    model._dequeue_and_enqueue = lambda: None  # the pool is not part of the degradation
    seed_all(seed)
    package_filter, realesrgan_model.filter2D = realesrgan_model.filter2D, filter2d
    try:
        model.feed_data({"gt": gt, **make_kernels(len(gt))})
    finally:
        realesrgan_model.filter2D = package_filter
    return torch.equal(model.lq, lq) and torch.equal(model.gt, crop)


def realesrganer(tile: int, tile_pad: int, pre_pad: int, device: str) -> Any:
    """The reference ``RealESRGANer`` on BasicSR's RRDBNet holding our built-in realesrgan-x4plus weights.

    The state dict comes from our model loader (no download) and is written as ``{'params_ema': sd}``
    to a temporary .pth, the form RealESRGANer reads (it loads it with ``strict=True``).
    """
    import tempfile

    _shim()
    from basicsr.archs.rrdbnet_arch import RRDBNet
    from realesrgan import RealESRGANer

    from esrgan_core.modelfiles.loader import read_weights, resolve_ref

    state_dict, _ = read_weights(resolve_ref("realesrgan-x4plus")[0])
    net = RRDBNet(num_in_ch=3, num_out_ch=3, num_feat=64, num_block=23, num_grow_ch=32, scale=4)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "RealESRGAN_x4plus.pth")
        torch.save({"params_ema": state_dict}, path)
        return RealESRGANer(scale=4, model_path=path, model=net, tile=tile, tile_pad=tile_pad, pre_pad=pre_pad,
                            half=False, device=torch.device(device))


def enhance_rgb(upsampler: Any, rgb: np.ndarray) -> np.ndarray:
    """RGB float [0,1] in and out through ``RealESRGANer.enhance`` (8-bit BGR in, 8-bit BGR out)."""
    bgr = np.ascontiguousarray((rgb * 255).round().astype(np.uint8)[..., ::-1])
    out, _ = upsampler.enhance(bgr)
    return np.ascontiguousarray(out[..., ::-1]).astype(np.float32) / 255
