"""A plugin module (loaded through a config's ``plugins:`` key) that breaks a run on purpose.

``ACTIONS`` maps an iteration to what happens at its end: ``"raise"`` (the observer fails) or
``"break_models"`` (the stage's ``models/`` folder stops being writable). Tests set and clear it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from esrgan_core.hookspecs import hookimpl

ACTIONS: dict[int, str] = {}


def make_unwritable(folder: Path) -> None:
    """Make ``folder`` unwritable. chmod does not stop root, so as root the folder is replaced by a
    plain file of the same name (every write below it then fails with an OSError)."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        return
    shutil.move(str(folder), str(folder.with_name(folder.name + ".moved")))
    folder.write_text("not a folder any more\n")


def restore(folder: Path) -> None:
    """Undo :func:`make_unwritable`."""
    moved = folder.with_name(folder.name + ".moved")
    if moved.exists():
        folder.unlink()
        shutil.move(str(moved), str(folder))
    else:
        folder.chmod(0o700)


@hookimpl
def on_iteration_end(trainer: Any, iteration: int, logs: Any) -> None:
    action = ACTIONS.get(iteration)
    if action == "raise":
        raise RuntimeError("observer exploded on purpose")
    if action == "break_models":
        make_unwritable(trainer.stage_dir / "models")
