"""Training behaviour that spandrel's inference-oriented copies leave out, restored in one place.

- **SPAN's Conv3XC** trains three convs plus a 1x1 skip and folds them into ``eval_conv`` for
  inference. spandrel only folds inside an eval-mode forward, so a state dict taken after training
  steps would carry a stale ``eval_conv``. We freeze ``eval_conv`` (it is derived, not learned) and
  refold it whenever a state dict is taken, so every saved file holds the weights spandrel runs.
- PLKSR / RealPLKSR keep their ``self.training`` branches (split + concat instead of in-place
  writes) and RealPLKSR its dropout; DAT / SwinIR / HAT keep drop-path and their checkpointing
  flags (``use_chk`` / ``use_checkpoint``, set from our ``checkpointing`` option). Nothing to restore.
"""

from __future__ import annotations

from typing import Any

from torch import nn


def _refold_conv3xc(module: nn.Module, *args: Any, **kwargs: Any) -> None:
    module.update_params()


def restore_training(net: nn.Module) -> nn.Module:
    """Patch ``net`` in place for training (see the module docstring) and return it."""
    for module in net.modules():
        if type(module).__name__ == "Conv3XC" and hasattr(module, "eval_conv"):
            module.eval_conv.requires_grad_(False)
            module.update_params()
            module.register_state_dict_pre_hook(_refold_conv3xc)
    return net


def trainable_parameters(net: nn.Module) -> list[nn.Parameter]:
    """The parameters the optimizer updates (derived ones such as SPAN's ``eval_conv`` excluded)."""
    return [p for p in net.parameters() if p.requires_grad]
