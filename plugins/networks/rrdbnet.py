"""RRDBNet: the ESRGAN / Real-ESRGAN generator, spandrel's ``ESRGAN`` module in BasicSR's key layout.

The network *is* spandrel's RRDBNet class (module tree ``model.*``, ESRGAN's old-arch), built with
the x4 upsampling tail; scales 2 and 1 pixel-unshuffle the input first (by 2 and 4), as Real-ESRGAN
does. Its state dict is BasicSR's (``conv_first``, ``body.N.rdbK.convM``, ``conv_body``,
``conv_up1/2``, ``conv_hr``, ``conv_last``): ``state_dict()`` renames and ``load_state_dict``
accepts both layouts, through the one table in :mod:`esrgan_core.modelfiles.rrdb_keys`. So
Real-ESRGAN's ``.pth`` files, our checkpoints and the ncnn conversions load unchanged, and spandrel
and chaiNNer open what we save.

Input and output are RGB float NCHW; the training range is [0, 1] and the output is not clamped.
Inputs whose size is not a multiple of the unshuffle factor are reflect-padded on the right/bottom
and the output is cropped (the reference asserts instead; spandrel pads too). Weights are
initialised as BasicSR does (dense-block convs kaiming x 0.1, bias 0; torch's default elsewhere),
drawn from torch's global RNG in BasicSR's order, so a seed gives the numbers BasicSR's RRDBNet gets.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import attrs
import torch
import torch.nn.functional as F
from spandrel.architectures.__arch_helpers import block as spandrel_blocks
from spandrel.architectures.ESRGAN import ESRGAN as SpandrelRRDBNet
from torch import nn

from esrgan_core.errors import ParamError
from esrgan_core.modelfiles.rrdb_keys import basicsr_to_old, old_to_basicsr
from esrgan_core.padding import crop_to, pad_to_multiple
from esrgan_core.schema import param
from esrgan_plugins.networks.keys import child_indices, has_all, shape

UNSHUFFLE = {4: 1, 2: 2, 1: 4}  # scale -> pixel-unshuffle factor
SPANDREL_GROWTH = 32  # spandrel's RRDBNet builds its dense blocks with 32 growth channels


@attrs.frozen
class RRDBNetParams:
    num_in_ch: int = param(3, ge=1, help="input channels (3 for RGB)")
    num_out_ch: int = param(3, ge=1, help="output channels (3 for RGB)")
    scale: int = param(4, help="upscaling factor: 1, 2 or 4 (1 and 2 pixel-unshuffle the input first)")
    num_feat: int = param(64, ge=1, help="feature channels")
    num_block: int = param(23, ge=1, help="number of RRDB blocks")
    num_grow_ch: int = param(32, ge=1, help="growth channels inside a dense block (spandrel and chaiNNer read only 32)")

    def validate(self) -> None:
        if self.scale not in UNSHUFFLE:
            raise ParamError("scale", f"must be 1, 2 or 4, got {self.scale}")


def basicsr_convs(params: RRDBNetParams) -> Iterator[str]:
    """The BasicSR names of the network's convolutions, in BasicSR's construction order."""
    yield "conv_first"
    for i in range(params.num_block):
        for j in (1, 2, 3):
            yield from (f"body.{i}.rdb{j}.conv{k}" for k in range(1, 6))
    yield from ("conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last")


def _to_basicsr(module: RRDBNet, state_dict: dict[str, Any], prefix: str, local_metadata: Any) -> None:
    """state_dict post-hook: our module tree's keys under BasicSR's names (order kept)."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        new = old_to_basicsr(key[len(prefix):], module.params.num_block)
        if new is not None:
            state_dict[prefix + new] = state_dict.pop(key)


def _from_basicsr(module: RRDBNet, state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
    """load_state_dict pre-hook: BasicSR names to our module tree's (old-arch names pass as they are)."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        old = basicsr_to_old(key[len(prefix):], module.params.num_block)
        if old is not None:
            state_dict[prefix + old] = state_dict.pop(key)


class RRDBNet(SpandrelRRDBNet):
    """ESRGAN generator. ``forward``: RGB float NCHW (B, num_in_ch, H, W) -> (B, num_out_ch, sH, sW)."""

    licence = "Apache-2.0"  # spandrel's ESRGAN code (shown by ``esrgan-run plugins``)

    def __init__(self, params: RRDBNetParams | None = None) -> None:
        p = params or RRDBNetParams()
        p.validate()
        factor = UNSHUFFLE[p.scale]
        rng = torch.get_rng_state()
        super().__init__(in_nc=p.num_in_ch * factor**2, out_nc=p.num_out_ch, num_filters=p.num_feat,
                         num_blocks=p.num_block, scale=4, shuffle_factor=factor if factor > 1 else None)
        if p.num_grow_ch != SPANDREL_GROWTH:
            for i in range(p.num_block):
                self.model[1].sub[i] = spandrel_blocks.RRDB(p.num_feat, gc=p.num_grow_ch, act_type="leakyrelu")
        self.params = p
        self.unshuffle = factor
        torch.set_rng_state(rng)  # draw the initial weights in BasicSR's order, not spandrel's
        for name in basicsr_convs(p):
            _init_like_basicsr(self.conv(name), dense=name.startswith("body."))
        self.register_state_dict_post_hook(_to_basicsr)
        self.register_load_state_dict_pre_hook(_from_basicsr)

    def conv(self, name: str) -> nn.Conv2d:
        """The convolution behind a BasicSR name (``conv_first``, ``body.0.rdb1.conv1``, ...)."""
        old = basicsr_to_old(f"{name}.weight", self.params.num_block)
        if old is None:
            raise KeyError(f"RRDBNet has no convolution {name!r}")
        return self.get_submodule(old.removesuffix(".weight"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(pad_to_multiple(x, self.unshuffle), self.unshuffle)
        return crop_to(self.model(x), h * self.params.scale, w * self.params.scale)

    @staticmethod
    def detect(state_dict: Mapping[str, torch.Tensor]) -> RRDBNetParams | None:
        """Hyper-parameters of a BasicSR-style RRDBNet state dict, or None if it is not one.

        Scale comes from conv_first's input channels over conv_last's output channels (ratio 1:
        x4, 4: x2, 16: x1), num_block from the count of ``body.N``, num_grow_ch from rdb1.conv1.
        (Old-arch files are renamed to this layout when read, by ``esrgan_core.modelfiles``.)
        """
        needed = ("conv_first.weight", "body.0.rdb1.conv1.weight", "conv_body.weight", "conv_up1.weight",
                  "conv_up2.weight", "conv_hr.weight", "conv_last.weight")
        if not has_all(state_dict, *needed) or "conv_up3.weight" in state_dict:
            return None
        feat, in_ch = shape(state_dict, "conv_first.weight")[:2]
        out_ch = shape(state_dict, "conv_last.weight")[0]
        scale, num_in = 4, in_ch
        for s, factor in ((1, 4), (2, 2)):
            if in_ch == out_ch * factor**2:
                scale, num_in = s, in_ch // factor**2
        blocks = child_indices(state_dict, "body")
        if blocks != list(range(len(blocks))):
            return None
        return RRDBNetParams(num_in_ch=num_in, num_out_ch=out_ch, scale=scale, num_feat=feat,
                             num_block=len(blocks), num_grow_ch=shape(state_dict, "body.0.rdb1.conv1.weight")[0])

    @staticmethod
    def describe(params: RRDBNetParams) -> dict[str, Any]:
        """Facts for a model description (see ``esrgan_core.modelfiles.description``)."""
        return {"scale": params.scale, "in_channels": params.num_in_ch, "out_channels": params.num_out_ch,
                "size_multiple": UNSHUFFLE[params.scale], "supports_half": True, "supports_bfloat16": True}


def _init_like_basicsr(conv: nn.Conv2d, *, dense: bool) -> None:
    """torch's default init; dense-block convs then kaiming normal (fan_in, gain sqrt 2) x 0.1, bias 0."""
    conv.reset_parameters()
    if dense:
        nn.init.kaiming_normal_(conv.weight)
        with torch.no_grad():
            conv.weight.mul_(0.1)
            conv.bias.zero_()
