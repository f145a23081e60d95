"""``esrgan`` and ``compact``: RRDBNet and SRVGGNetCompact under spandrel-style options with presets.

Aliases, not other networks: each resolves its options to the canonical network's params and builds
the canonical network (``rrdbnet`` / ``srvgg_compact``), so the module, its BasicSR state-dict keys,
the saved files and the output are the canonical one's. A bare weight file is detected as the
canonical name (aliases have no ``detect``), and a network built through an alias is described as the
canonical one (``canonical``/``canonical_params``, read by ``esrgan_core.modelfiles.description``),
so a run configured with ``esrgan`` saves files recording ``rrdbnet`` and its BasicSR params. Files
recording ``esrgan`` / ``compact`` (written before) still reopen through the alias.

A field left at ``None`` takes the preset's value; a field given in the config overrides it.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
from torch import nn

from esrgan_core.errors import ParamError
from esrgan_core.schema import param
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams


def _opt(help: str) -> Any:
    return param(None, help=f"{help} (default: from the preset)")


def _check_scale(scale: int, allowed: tuple[int, ...]) -> None:
    if scale not in allowed:
        raise ParamError("scale", f"this architecture supports scale {', '.join(map(str, allowed))}, got {scale}")


ESRGAN_PRESETS = {"base": {"num_filters": 64, "num_blocks": 23}, "lite": {"num_filters": 64, "num_blocks": 6}}
COMPACT_PRESETS = {"compact": {"num_feat": 64, "num_conv": 16}, "ultracompact": {"num_feat": 64, "num_conv": 8},
                   "superultracompact": {"num_feat": 24, "num_conv": 8}}


@attrs.frozen
class ESRGANParams:
    preset: Literal["base", "lite"] = param("base", help="base (64 filters, 23 blocks) or lite (64, 6)")
    scale: int = param(4, help="upscaling factor: 4, or 2 / 1 with pixel-unshuffle of the input by 2 / 4")
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_out_ch: int = param(3, ge=1, help="output channels")
    num_filters: int | None = _opt("feature channels")
    num_blocks: int | None = _opt("RRDB blocks")

    def validate(self) -> None:
        _check_scale(self.scale, (1, 2, 4))

    def canonical(self) -> RRDBNetParams:
        preset = ESRGAN_PRESETS[self.preset]
        return RRDBNetParams(num_in_ch=self.num_in_ch, num_out_ch=self.num_out_ch, scale=self.scale,
                             num_feat=self.num_filters or preset["num_filters"],
                             num_block=self.num_blocks or preset["num_blocks"])


@attrs.frozen
class CompactParams:
    preset: Literal["compact", "ultracompact", "superultracompact"] = param(
        "compact", help="compact (64 ch, 16 convs), ultracompact (64, 8), superultracompact (24, 8)")
    scale: int = param(4, help="upscaling factor")
    num_in_ch: int = param(3, ge=1, help="input channels")
    num_out_ch: int = param(3, ge=1, help="output channels")
    num_feat: int | None = _opt("feature channels")
    num_conv: int | None = _opt("body convolutions")
    act_type: Literal["prelu", "relu", "leakyrelu"] = param("prelu", help="activation")

    def validate(self) -> None:
        _check_scale(self.scale, (1, 2, 3, 4))
        self.canonical().validate()

    def canonical(self) -> SRVGGParams:
        preset = COMPACT_PRESETS[self.preset]
        return SRVGGParams(num_in_ch=self.num_in_ch, num_out_ch=self.num_out_ch,
                           num_feat=self.num_feat if self.num_feat is not None else preset["num_feat"],
                           num_conv=self.num_conv if self.num_conv is not None else preset["num_conv"],
                           upscale=self.scale, act_type=self.act_type)


class NetworkAlias:
    """Registry factory of an alias: ``alias(params)`` is ``network(params.canonical())``."""

    def __init__(self, network: Any, canonical: str, params: type) -> None:
        self.network = network
        self.canonical = canonical
        self.params = params
        self.licence = network.licence
        self.__name__ = network.__name__
        self.__doc__ = f"{network.__name__} (alias of {canonical!r} with presets)"

    def __call__(self, params: Any = None) -> nn.Module:
        return self.network(self.canonical_params(params if params is not None else self.params()))

    def canonical_params(self, params: Any) -> Any:
        """The canonical network's params for the alias's ``params`` (what descriptions record)."""
        return params.canonical()

    def describe(self, params: Any) -> dict[str, Any]:
        """The canonical network's description facts."""
        return self.network.describe(params.canonical())


ALIASES: dict[str, tuple[NetworkAlias, str]] = {
    "esrgan": (NetworkAlias(RRDBNet, "rrdbnet", ESRGANParams),
               "ESRGAN (RRDBNet): alias of rrdbnet with presets base, lite and spandrel-style option names "
               "(same network, BasicSR keys) [licence Apache-2.0]"),
    "compact": (NetworkAlias(SRVGGNetCompact, "srvgg_compact", CompactParams),
                "Real-ESRGAN Compact (SRVGGNet): alias of srvgg_compact with presets compact, ultracompact, "
                "superultracompact; scale: for upscale: [licence BSD-3-Clause]"),
}
