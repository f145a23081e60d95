"""Speed decisions: native-bf16 detection, auto precision on this CPU, channels_last/compile, auto tile."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from esrgan_core.speed import (
    activation_bytes_per_pixel,
    cpu_flags,
    cpu_has_native_bf16,
    native_bf16,
    prepare_network,
)
from esrgan_core.upscaling.engine import Upscaler, resolve_precision
from tests.upscale_nets import ShuffleNet, seeded

ZEN4_FLAGS = "fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni"
SAPPHIRE_RAPIDS_FLAGS = "avx2 avx512f amx_tile amx_int8 amx_bf16"
SKYLAKE_FLAGS = "avx2 avx512f avx512bw avx512vl"


@pytest.mark.parametrize("flags,capability,expected", [
    (ZEN4_FLAGS, "AVX512", True),
    (SAPPHIRE_RAPIDS_FLAGS, "AVX512", True),
    (SKYLAKE_FLAGS, "AVX512", False),  # AVX-512 without BF16: bf16 is emulated, fp32 is faster
    ("avx2 fma", "AVX2", False),
    ("", "DEFAULT", False),
    ("", "AMX", True),  # a torch capability naming AMX or BF16 is enough on its own
    ("", "AVX512_BF16", True),
])
def test_native_bf16_only_with_a_bf16_instruction_set(flags, capability, expected):
    assert native_bf16(flags.split(), capability) is expected


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path):
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\nflags\t\t: {ZEN4_FLAGS}\n\nprocessor\t: 1\nflags\t\t: {ZEN4_FLAGS}\n")
    assert cpu_flags(info) == frozenset(ZEN4_FLAGS.split())
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_auto_precision_on_this_machine_follows_its_cpuinfo():
    """The real machine's answer: bf16 exactly when /proc/cpuinfo lists avx512_bf16 or amx_bf16."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        pytest.skip("no /proc/cpuinfo")
    native = bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", text))
    cap = torch.backends.cpu.get_cpu_capability()
    assert cpu_has_native_bf16() == (native or "AMX" in cap or "BF16" in cap)
    expected = torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    assert resolve_precision("auto", torch.device("cpu"), True, True) == expected
    assert Upscaler(seeded(ShuffleNet(2)), 2, device="cpu").dtype == expected


def test_channels_last_gives_the_same_result():
    net = seeded(ShuffleNet(2))
    x = np.random.default_rng(0).random((20, 28, 3), dtype=np.float32)
    ref = Upscaler(net, 2, device="cpu", precision="fp32").upscale_rgb(x)
    up = Upscaler(net, 2, device="cpu", precision="fp32", channels_last=True)
    assert up.compute_network.body[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert next(net.parameters()).is_contiguous()  # the fp32 master is untouched
    np.testing.assert_allclose(up.upscale_rgb(x), ref, atol=1e-5)


@pytest.mark.slow
def test_compiled_network_gives_the_same_result_and_keeps_its_state_dict_keys():
    net = seeded(ShuffleNet(2))
    keys = set(net.state_dict())
    x = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
    ref = Upscaler(net, 2, device="cpu", precision="fp32").upscale_rgb(x)
    up = Upscaler(net, 2, device="cpu", precision="fp32", compile=True)
    assert set(up.compute_network.state_dict()) == keys
    np.testing.assert_allclose(up.upscale_rgb(x), ref, atol=1e-5)


def test_activation_estimate_covers_the_largest_layer():
    """ShuffleNet x2, feat 8: its largest layer is the pixel shuffle at 12 ch in + 3 ch at 4x the pixels
    out -> 24 float32 values per input pixel; estimate = 2 x that (the safety factor)."""
    net = prepare_network(seeded(ShuffleNet(2)))
    per_pixel = activation_bytes_per_pixel(net, torch.device("cpu"), torch.float32, probe=16)
    assert per_pixel == 2.0 * 24 * 4


def test_auto_tile_probes_the_network_and_stays_whole_on_small_images():
    up = Upscaler(seeded(ShuffleNet(2)), 2, device="cpu", precision="fp32", tile="auto")
    assert up.tiler.max_pixels > 10**6  # any machine running the tests has a few MB to spare
    assert up.tiler.tile_for(64, 64) == 0
