"""The one key-rename table between RRDBNet's two state-dict layouts.

- **BasicSR** (Real-ESRGAN's ``.pth``, our files): ``conv_first``, ``body.N.rdbK.convM``,
  ``conv_body``, ``conv_up1``, ``conv_up2``, ``conv_hr``, ``conv_last``.
- **old-arch** (ESRGAN's first release, and the module tree of spandrel's ``ESRGAN`` class that our
  RRDBNet wraps): ``model.0``, ``model.1.sub.N.RDBK.convM.0``, ``model.1.sub.<num_block>``,
  ``model.3``, ``model.6``, ``model.8``, ``model.10``.

Only the x4 tail (two nearest-upsample convs, as every Real-ESRGAN RRDBNet has, x2/x1 included) is
mapped; a state dict with any other key (ESRGAN+ ``conv1x1``, an x8 or x2 upconv tail, norm layers)
is left as it is, for spandrel to read.
"""

from __future__ import annotations

import re
from typing import Mapping, TypeVar

V = TypeVar("V")

_TAIL = {"conv_first": "model.0", "conv_up1": "model.3", "conv_up2": "model.6", "conv_hr": "model.8",
         "conv_last": "model.10"}
_TAIL_BACK = {old: new for new, old in _TAIL.items()}
_BASICSR_RDB = re.compile(r"body\.(\d+)\.rdb([123])\.conv([1-5])\.(weight|bias)")
_OLD_RDB = re.compile(r"model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0\.(weight|bias)")
_PARAM = re.compile(r"(.+)\.(weight|bias)")


def basicsr_to_old(key: str, num_block: int) -> str | None:
    """The old-arch name of a BasicSR key (None: not an RRDBNet key)."""
    if m := _BASICSR_RDB.fullmatch(key):
        return f"model.1.sub.{m[1]}.RDB{m[2]}.conv{m[3]}.0.{m[4]}"
    m = _PARAM.fullmatch(key)
    if m is None:
        return None
    if m[1] == "conv_body":
        return f"model.1.sub.{num_block}.{m[2]}"
    return f"{_TAIL[m[1]]}.{m[2]}" if m[1] in _TAIL else None


def old_to_basicsr(key: str, num_block: int) -> str | None:
    """The BasicSR name of an old-arch key (None: not one our RRDBNet has)."""
    if m := _OLD_RDB.fullmatch(key):
        return f"body.{m[1]}.rdb{m[2]}.conv{m[3]}.{m[4]}" if int(m[1]) < num_block else None
    m = _PARAM.fullmatch(key)
    if m is None:
        return None
    if m[1] == f"model.1.sub.{num_block}":
        return f"conv_body.{m[2]}"
    return f"{_TAIL_BACK[m[1]]}.{m[2]}" if m[1] in _TAIL_BACK else None


def old_arch_blocks(keys: Mapping[str, object]) -> int:
    """The number of RRDB blocks in an old-arch state dict (0 when it has none)."""
    found = {int(m[1]) for k in keys if (m := _OLD_RDB.fullmatch(k))}
    return max(found) + 1 if found else 0


def from_old_arch(state: Mapping[str, V]) -> dict[str, V] | None:
    """``state`` under BasicSR names if it is an old-arch RRDBNet our network can hold, else None."""
    if "model.0.weight" not in state:
        return None
    blocks = old_arch_blocks(state)
    renamed = {}
    for key, value in state.items():
        new = old_to_basicsr(key, blocks)
        if new is None:
            return None
        renamed[new] = value
    return renamed if blocks and "conv_body.weight" in renamed else None
