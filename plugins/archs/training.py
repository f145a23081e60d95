"""Training behaviour that spandrel's inference-oriented copies leave out, restored in one place.

- **SPAN's Conv3XC** trains three convs plus a 1x1 skip and folds them into ``eval_conv`` for
  inference. spandrel only folds inside an eval-mode forward, so a state dict taken after training
  steps would carry a stale ``eval_conv``. We freeze ``eval_conv`` (it is derived, not learned) and
  refold it whenever a state dict is taken, so every saved file holds the weights spandrel runs.
- **HAT** accepts ``use_checkpoint`` but its ``AttenBlocks`` never checkpoint; with our
  ``checkpointing`` option each of their blocks is recomputed in the backward pass (as DAT's
  ``use_chk`` and SwinIR's ``use_checkpoint`` already do).
- PLKSR / RealPLKSR keep their ``self.training`` branches (split + concat instead of in-place
  writes) and RealPLKSR its dropout; DAT / SwinIR / HAT keep drop-path. Nothing to restore there.
"""

from __future__ import annotations

import types
from typing import Any

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


def _refold_conv3xc(module: nn.Module, *args: Any, **kwargs: Any) -> None:
    module.update_params()


def _checkpointed_hat_blocks(self: nn.Module, x: torch.Tensor, x_size: Any, params: dict[str, Any]) -> torch.Tensor:
    """HAT ``AttenBlocks.forward`` with each HAB checkpointed while training."""
    for blk in self.blocks:
        if self.training and torch.is_grad_enabled():
            x = checkpoint(blk, x, x_size, params["rpi_sa"], params["attn_mask"], use_reentrant=False)
        else:
            x = blk(x, x_size, params["rpi_sa"], params["attn_mask"])
    x = self.overlap_attn(x, x_size, params["rpi_oca"])
    return self.downsample(x) if self.downsample is not None else x


def restore_training(net: nn.Module) -> nn.Module:
    """Patch ``net`` in place for training (see the module docstring) and return it."""
    for module in net.modules():
        kind = type(module).__name__
        if kind == "Conv3XC" and hasattr(module, "eval_conv"):
            module.eval_conv.requires_grad_(False)
            module.update_params()
            module.register_state_dict_pre_hook(_refold_conv3xc)
        elif kind == "AttenBlocks" and getattr(module, "use_checkpoint", False):
            module.forward = types.MethodType(_checkpointed_hat_blocks, module)
    return net

