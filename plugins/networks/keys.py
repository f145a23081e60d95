"""Small helpers for reading hyper-parameters off a state dict (used by ``detect`` functions)."""

from __future__ import annotations

import re
from typing import Mapping

import torch


def child_indices(state_dict: Mapping[str, torch.Tensor], prefix: str) -> list[int]:
    """Sorted distinct integers ``N`` of keys ``"{prefix}.N.<anything>"``."""
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.")
    found = {int(m.group(1)) for k in state_dict if (m := pattern.match(k))}
    return sorted(found)


def has_all(state_dict: Mapping[str, torch.Tensor], *keys: str) -> bool:
    return all(k in state_dict for k in keys)


def shape(state_dict: Mapping[str, torch.Tensor], key: str) -> tuple[int, ...]:
    return tuple(state_dict[key].shape)
