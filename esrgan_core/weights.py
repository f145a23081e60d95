"""Find, check and (where allowed) download the pretrained files listed in :mod:`.weights_registry`.

``resolve(name, path=None) -> Path`` looks, in order:

1. at ``path`` (an explicit config option): used as given, the user's own file (not hash-checked);
2. in ``$ESRGAN_WEIGHTS_DIR/<filename>``;
3. in torch hub's cache, ``$TORCH_HOME/hub/checkpoints/<filename>`` (default ``~/.cache/torch``);
4. in an installed wheel that ships the file (``entry.package``, e.g. the LPIPS linear layers);
5. otherwise it downloads ``entry.url`` into the torch hub cache, with a progress bar, checking
   size and sha256 before the file appears under its final name (as torchvision does).

Every file found in 2-4 or downloaded in 5 must match the registry's size and sha256 (a file name
with a torch hub prefix, ``vgg19-dcbb9e9d.pth``, is at least checked against that prefix when the
full hash is unknown). A file that does not is reported (:class:`CorruptWeightsError`) and never
used. The sha256 of a checked file is remembered per (path, size, mtime) in the esrgan cache, so a
550 MB VGG is hashed once, not at every start.

Downloading is forbidden when ``ESRGAN_OFFLINE``, ``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE`` or
``HF_DATASETS_OFFLINE`` is set to 1/true/yes/on; a missing file is then a one-line
:class:`MissingWeightsError` naming the file, the folder it belongs in and the URL (exit 2).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

from esrgan_core.atomic import atomic_write_text
from esrgan_core.cache import cache_dir
from esrgan_core.errors import CorruptWeightsError, MissingWeightsError
from esrgan_core.weights_registry import ENTRIES, WeightsFile

ENV_DIR = "ESRGAN_WEIGHTS_DIR"
OFFLINE_VARS = ("ESRGAN_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")

REGISTRY: dict[str, WeightsFile] = {e.name: e for e in ENTRIES}
__all__ = ["CorruptWeightsError", "MissingWeightsError", "WeightsFile", "resolve", "register_weights", "offline"]


def register_weights(entry: WeightsFile) -> None:
    """Add a file to the registry (plugins with their own pretrained files); names are unique."""
    if entry.name in REGISTRY and REGISTRY[entry.name] != entry:
        raise ValueError(f"weights name {entry.name!r} is already registered for {REGISTRY[entry.name].filename}")
    REGISTRY[entry.name] = entry


def unregister_weights(name: str) -> None:
    REGISTRY.pop(name, None)


def get_entry(name: str) -> WeightsFile:
    """The registry entry ``name``; an unknown name is a one-line error listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise MissingWeightsError(f"unknown weights {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def offline() -> bool:
    """True when any of :data:`OFFLINE_VARS` is set to a true value."""
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in OFFLINE_VARS)


def hub_checkpoints_dir() -> Path:
    """torch hub's checkpoint cache folder (without importing torch)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints"


def package_path(entry: WeightsFile) -> Path | None:
    """The copy of ``entry`` inside an installed wheel, if that package is installed and has it."""
    if not entry.package:
        return None
    module, _, rel = entry.package.partition(":")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        if (Path(root) / rel).is_file():
            return Path(root) / rel
    return None


def local_candidates(entry: WeightsFile) -> list[tuple[str, Path]]:
    """``(where, path)`` of every place ``entry`` may already be, in lookup order (existing or not)."""
    out: list[tuple[str, Path]] = []
    if os.environ.get(ENV_DIR):
        out.append((f"${ENV_DIR}", Path(os.environ[ENV_DIR]).expanduser() / entry.filename))
    out.append(("torch hub cache", hub_checkpoints_dir() / entry.filename))
    pkg = package_path(entry)
    if pkg is not None:
        out.append((f"package {entry.package.partition(':')[0]}", pkg))  # type: ignore[union-attr]
    return out


def file_sha256(path: Path) -> str:
    """sha256 of ``path``, remembered per (absolute path, size, mtime) in the esrgan cache."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo_file = cache_dir("weights") / "sha256.json"
    try:
        memo = json.loads(memo_file.read_text())
    except (OSError, ValueError):
        memo = {}
    if key in memo:
        return memo[key]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    memo[key] = h.hexdigest()
    try:
        atomic_write_text(memo_file, json.dumps(memo, indent=0))
    except OSError:  # a read-only cache only costs the next start a re-hash
        pass
    return memo[key]


def check_file(entry: WeightsFile, path: Path) -> str:
    """Raise CorruptWeightsError unless ``path`` is ``entry``'s file; returns what was checked."""
    size = path.stat().st_size
    fix = f"delete it, or run `esrgan-run weights fetch {entry.name}` to download a good copy"
    if entry.size is not None and size != entry.size:
        raise CorruptWeightsError(f"{path}: {size} bytes, expected {entry.size} for {entry.filename} ({fix})")
    if entry.sha256 is None and entry.name_prefix is None:
        return "unverified (no known hash)"
    digest = file_sha256(path)
    expected = entry.sha256 or entry.name_prefix or ""
    if not digest.startswith(expected):
        raise CorruptWeightsError(f"{path}: sha256 {digest[:16]}..., expected {expected[:16]}... for {entry.filename} ({fix})")
    return "sha256 ok" if entry.sha256 else "sha256 prefix ok (full hash unknown)"


def missing_message(entry: WeightsFile, reason: str, purpose: str | None = None) -> str:
    pip = f", or pip install 'esrgan[{entry.extra}]'" if entry.extra else ""
    return (f"{purpose or entry.purpose} needs {entry.filename}, which is not on this machine ({reason}): download {entry.url} "
            f"into {hub_checkpoints_dir()} or ${ENV_DIR}{pip}")


def resolve(name: str, path: str | Path | None = None, *, download: bool = True, purpose: str | None = None) -> Path:
    """The checked local file of registry entry ``name`` (see the module docstring for the order).

    ``path``: an explicit file (config option) used as given. ``download=False`` never downloads
    (a missing file raises MissingWeightsError even when online). ``purpose`` names the component
    in error messages (default: the registry entry's purpose).
    """
    entry = get_entry(name)
    purpose = purpose or entry.purpose
    if path:
        p = Path(path).expanduser()
        if not p.is_file():
            raise MissingWeightsError(f"{purpose}: weights file {p} does not exist (expected {entry.filename})")
        return p
    for _, p in local_candidates(entry):
        if p.is_file():
            check_file(entry, p)
            return p
    if not download:
        raise MissingWeightsError(missing_message(entry, "not downloaded here", purpose))
    if offline():
        raise MissingWeightsError(missing_message(entry, "offline mode forbids downloading", purpose))
    if entry.sha256 is None:
        raise MissingWeightsError(missing_message(entry, "no sha256 is known, so it is never downloaded", purpose))
    from esrgan_core.weights_download import download_entry

    return download_entry(entry, hub_checkpoints_dir())


def find_weights(filename: str, *, purpose: str, configured: str | Path | None = None, config_key: str = "") -> Path:
    """Older lookup by file name; resolves through the registry entry with that file name."""
    for entry in REGISTRY.values():
        if entry.filename == filename:
            return resolve(entry.name, configured, purpose=purpose)
    raise MissingWeightsError(f"{purpose}: {filename} is not a registered weights file")
