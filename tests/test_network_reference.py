"""Our RRDBNet and SRVGGNetCompact (spandrel's modules in BasicSR's key layout) against BasicSR's
definitions written out independently (``tests/basicsr_reference.py``): same keys, same initial
weights from the same seed, same outputs (within 1e-6) for the same weights, both ways of loading."""

from __future__ import annotations

import attrs
import pytest
import torch

from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests import basicsr_reference as ref

RRDB_CASES = [RRDBNetParams(scale=4, num_feat=8, num_block=2, num_grow_ch=4), RRDBNetParams(scale=2, num_feat=8, num_block=1),
              RRDBNetParams(scale=1, num_feat=4, num_block=2, num_grow_ch=8),
              RRDBNetParams(num_in_ch=1, num_out_ch=1, scale=2, num_feat=4, num_block=1)]
SRVGG_CASES = [SRVGGParams(num_feat=8, num_conv=2, upscale=4), SRVGGParams(num_feat=4, num_conv=0, upscale=2, act_type="relu"),
               SRVGGParams(num_feat=4, num_conv=1, upscale=3, act_type="leakyrelu"),
               SRVGGParams(num_in_ch=1, num_out_ch=3, num_feat=4, num_conv=1, upscale=2)]


def _pair(ours: type, theirs: type, params: object, seed: int) -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    a = ours(params)
    after_a = torch.rand(3)
    torch.manual_seed(seed)
    b = theirs(**attrs.asdict(params))
    after_b = torch.rand(3)
    return a.eval(), b.eval(), after_a, after_b


def _check(a: torch.nn.Module, b: torch.nn.Module, x: torch.Tensor) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)  # BasicSR's keys, in BasicSR's order
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize("params", RRDB_CASES, ids=str)
def test_rrdbnet_initialises_and_computes_as_basicsr(params: RRDBNetParams) -> None:
    ours, theirs, after_a, after_b = _pair(RRDBNet, ref.RRDBNet, params, seed=0)
    assert torch.equal(after_a, after_b)  # the same random draws were consumed
    x = torch.rand(2, params.num_in_ch, 9, 14, generator=torch.Generator().manual_seed(1))  # odd: padded and cropped
    _check(ours, theirs, x)


@pytest.mark.parametrize("params", RRDB_CASES[:2], ids=str)
def test_rrdbnet_loads_basicsr_weights_and_gives_basicsr_output(params: RRDBNetParams) -> None:
    torch.manual_seed(3)
    theirs = ref.RRDBNet(**attrs.asdict(params)).eval()
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # trained-looking weights, biases non-zero
    ours = RRDBNet(params).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    _check(ours, theirs, torch.rand(1, params.num_in_ch, 8, 12, generator=torch.Generator().manual_seed(2)))


@pytest.mark.parametrize("params", SRVGG_CASES, ids=str)
def test_srvgg_initialises_and_computes_as_realesrgan(params: SRVGGParams) -> None:
    ours, theirs, after_a, after_b = _pair(SRVGGNetCompact, ref.SRVGGNetCompact, params, seed=0)
    assert torch.equal(after_a, after_b)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # PReLU slopes away from 0.25
    ours.load_state_dict(theirs.state_dict(), strict=True)
    _check(ours, theirs, torch.rand(2, params.num_in_ch, 7, 5, generator=torch.Generator().manual_seed(1)))


# ---- the BasicSR key view of spandrel's RRDBNet module tree -------------------------------------

def test_rrdbnet_keys_are_basicsr_also_inside_a_wrapper_and_both_layouts_load() -> None:
    """Under a prefix (DDP's ``module.``, torch.compile's ``_orig_mod.``) the view still applies; old-arch
    keys (spandrel's own module tree) load too; a deep copy (EMA) keeps the view."""
    import copy

    params = RRDBNetParams(num_feat=4, num_block=2, num_grow_ch=4)
    torch.manual_seed(0)
    net = RRDBNet(params)
    wrapper = torch.nn.ModuleDict({"module": net})
    assert list(wrapper.state_dict()) == [f"module.{k}" for k in net.state_dict()]
    torch.manual_seed(1)
    other = torch.nn.ModuleDict({"module": RRDBNet(params)})
    other.load_state_dict(wrapper.state_dict(), strict=True)
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), wrapper.state_dict().values()))
    old_arch = {f"model.{k}": v for k, v in net.model.state_dict().items()}  # spandrel's names, as its ESRGAN writes them
    fresh = RRDBNet(params)
    fresh.load_state_dict(old_arch, strict=True)
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in net.state_dict().items())
    assert list(copy.deepcopy(net).state_dict()) == list(net.state_dict())
    with pytest.raises(RuntimeError, match="Unexpected key"):
        fresh.load_state_dict({**net.state_dict(), "conv_up3.weight": torch.zeros(1)}, strict=True)


def test_old_arch_renaming_leaves_layouts_our_rrdbnet_cannot_hold_to_spandrel() -> None:
    from esrgan_core.modelfiles.rrdb_keys import from_old_arch

    net = RRDBNet(RRDBNetParams(num_feat=4, num_block=1))
    old_arch = {f"model.{k}": v for k, v in net.model.state_dict().items()}
    assert list(from_old_arch(old_arch)) == list(net.state_dict())
    plus = {**old_arch, "model.1.sub.0.RDB1.conv1x1.weight": torch.zeros(4, 4, 1, 1)}  # ESRGAN+
    x8 = {**old_arch, "model.13.weight": torch.zeros(4, 4, 3, 3)}  # a third upconv
    assert from_old_arch(plus) is None and from_old_arch(x8) is None
    assert from_old_arch(net.state_dict()) is None  # already BasicSR
