"""Built-in network architectures: RRDBNet, SRVGGNetCompact, discriminators (U-Net SN, PatchGAN SN, VGG-style), VGG features.

RRDBNet and SRVGGNetCompact are spandrel's modules in BasicSR's key layout; ``rrdbnet`` and
``srvgg_compact`` (BasicSR's option names) are their canonical names, ``esrgan`` and ``compact``
aliases with presets (:mod:`.aliases`). Each factory is the network class, built as
``Class(params)``. Classes also expose
``detect(state_dict) -> params | None`` (used by the model-file loader to rebuild a network from
bare weights) and ``describe(params) -> dict`` (scale, channels, size multiple, precisions).
"""

from __future__ import annotations

from esrgan_core.features.vgg import VGGFeatures, VGGFeaturesParams
from esrgan_core.hookspecs import Register, hookimpl
from esrgan_plugins.networks.aliases import ALIASES
from esrgan_plugins.networks.discriminator import UNetDiscriminatorParams, UNetDiscriminatorSN
from esrgan_plugins.networks.patchgan import PatchGANDiscriminator, PatchGANParams
from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from esrgan_plugins.networks.vgg_discriminator import VGGDiscriminatorParams, VGGStyleDiscriminator


@hookimpl
def register_networks(register: Register) -> None:
    register("rrdbnet", RRDBNet, params=RRDBNetParams,
             help="ESRGAN/Real-ESRGAN RRDB generator (x1/x2/x4; spandrel's module, BasicSR keys)")
    register("srvgg_compact", SRVGGNetCompact, params=SRVGGParams,
             help="Real-ESRGAN compact VGG-style generator (animevideov3, general-x4v3; spandrel's module)")
    for name, (alias, help) in ALIASES.items():
        register(name, alias, params=alias.params, help=help)
    register("unet_discriminator_sn", UNetDiscriminatorSN, params=UNetDiscriminatorParams,
             help="Real-ESRGAN U-Net discriminator with spectral norm")
    register("patchgan_sn", PatchGANDiscriminator, params=PatchGANParams,
             help="PatchGAN discriminator with spectral norm (multi-scale with num_scales > 1)")
    register("vgg_discriminator", VGGStyleDiscriminator, params=VGGDiscriminatorParams,
             help="ESRGAN VGG-style discriminator on 128x128 patches (BasicSR VGGStyleDiscriminator keys)")
    register("vgg_features", VGGFeatures, params=VGGFeaturesParams,
             help="VGG19 feature extractor for perceptual losses (ImageNet weights via esrgan_core.weights)")
