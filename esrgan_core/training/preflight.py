"""Preflight of the ``train`` task: every check that needs no training, each problem one finding.

Run folder (inside ``experiments_root``, writable, no file in the way), data (folders and
meta_info files exist and are readable, enough images for a batch, the dataset's patch holds
``gt_size``), each stage's networks, pretrained files (readable, finite, the param key exists,
shapes fit), the hand-off from the previous stage's EMA, the loss set (something to train; an
adversarial loss with weight > 0 in GAN stages; feature-network weights on this machine) and
the compare images. Networks are built on torch's ``meta`` device: shapes only, no memory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from esrgan_core.hookspecs import hookimpl
from esrgan_core.photos import base_dir, parse_ref, resolve_path, unknown_photo
from esrgan_core.preflight import Findings, nearest_existing

ROOT_KEYS = ("dataroot", "dataroot_gt", "dataroot_lq")


@hookimpl
def preflight_config(config: Any, registries: Any, findings: Findings) -> None:
    if config.task != "train" or config.params is None:
        return
    run, base = config.params, base_dir()
    check_run_folder(run, findings)
    train = run.datasets.train
    check_dataset(train.dataset, "datasets.train.dataset", registries, findings, base, min_items=train.batch_size_per_gpu)
    check_patch(run, findings)
    if run.datasets.val is not None:
        check_dataset(run.datasets.val.dataset, "datasets.val.dataset", registries, findings, base, min_items=1)
    previous: dict[str, tuple[int, ...]] | None = None
    for i in range(len(run.stages)):
        previous = check_stage(run, i, registries, findings, previous)
    if run.compare is not None:
        check_compare(run.compare.images, findings, base)


def check_run_folder(run: Any, findings: Findings) -> None:
    """``experiments_root/name`` can be created and written: no file in its way, permissions."""
    root = Path(run.experiments_root)
    folder = root / run.name
    if root.exists() and not root.is_dir():
        findings.add("experiments_root", f"{root} is a file, not a folder")
        return
    if folder.exists() and not folder.is_dir():
        findings.add("name", f"{folder} is a file, not a run folder")
        return
    existing = nearest_existing(folder)
    if not existing.is_dir():
        findings.add("experiments_root", f"cannot create {folder}: {existing} is a file, not a folder")
    elif not os.access(existing, os.W_OK | os.X_OK):
        findings.add("experiments_root", f"cannot write the run folder: {existing} is not writable")


def check_folder(p: Path, key: str, findings: Findings) -> bool:
    if not p.exists():
        findings.add(key, f"folder {p} does not exist")
    elif not p.is_dir():
        findings.add(key, f"{p} is a file, not a folder")
    elif not os.access(p, os.R_OK | os.X_OK):
        findings.add(key, f"folder {p} is not readable")
    else:
        return True
    return False


def check_file(p: Path, key: str, findings: Findings, what: str = "file") -> bool:
    if not p.exists():
        findings.add(key, f"{what} {p} does not exist")
    elif not p.is_file():
        findings.add(key, f"{what} {p} is not a file")
    elif not os.access(p, os.R_OK):
        findings.add(key, f"{what} {p} is not readable")
    elif p.stat().st_size == 0:
        findings.add(key, f"{what} {p} is empty")
    else:
        return True
    return False


def check_dataset(spec: Any, key: str, registries: Any, findings: Findings, base: Path, *, min_items: int) -> None:
    """The dataset's folders and meta_info file, then the dataset itself (it lists its images)."""
    p = spec.params
    ok = True
    for name in ROOT_KEYS:
        value = getattr(p, name, None)
        if isinstance(value, str):
            ok = check_folder(resolve_path(value, base), f"{key}.{name}", findings) and ok
    meta = getattr(p, "meta_info", None)
    if isinstance(meta, str):
        ok = check_file(resolve_path(meta, base), f"{key}.meta_info", findings, "meta_info file") and ok
    if not ok:
        return
    if getattr(p, "check", None) == "eager":  # decoding every image is the run's job, not the preflight's
        spec = attrs.evolve(spec, params=attrs.evolve(p, check="lazy"))
    with findings.check(key):
        dataset = spec.build(registries, base_dir=base)
        if len(dataset) < min_items:
            findings.add(key, f"has {len(dataset)} image(s), fewer than one batch (datasets.train.batch_size_per_gpu: {min_items})")


def check_patch(run: Any, findings: Findings) -> None:
    """The training dataset's patch must hold a ``gt_size`` crop."""
    p = run.datasets.train.dataset.params
    for name in ("patch_size", "gt_size"):
        size = getattr(p, name, None)
        if isinstance(size, int) and size < run.gt_size:
            findings.add(f"datasets.train.dataset.{name}", f"{size} is smaller than gt_size {run.gt_size}: "
                                                           "training crops gt_size patches from it")


def check_compare(images: tuple[str, ...], findings: Findings, base: Path) -> None:
    from esrgan_core.images import read_image

    for i, ref in enumerate(images):
        key = f"compare.images[{i}]"
        parsed = parse_ref(ref, base)
        if parsed.photo is not None:
            problem = unknown_photo(parsed.photo)
            if problem:
                findings.add(key, problem)
            continue
        p = parsed.path
        if check_file(p, key, findings, "compare image"):
            with findings.check(key):
                read_image(p)


def check_stage(run: Any, index: int, registries: Any, findings: Findings,
                previous: dict[str, tuple[int, ...]] | None) -> dict[str, tuple[int, ...]] | None:
    """Networks, pretrained files, hand-off and losses of stage ``index``; returns G's shapes.

    Third-party stages are checked as far as they use the built-in stage vocabulary
    (``network_g``, ``network_d``, ``path``, ``train.losses``)."""
    from esrgan_core.training.preflight_models import check_handoff, check_losses, check_pretrained, shapes_of

    p, key = run.stages[index].params, f"stages[{index}]"
    path, gan = getattr(p, "path", None), getattr(p, "network_d", None) is not None
    shapes = shapes_of(p.network_g, registries, f"{key}.network_g", findings) if hasattr(p, "network_g") else None
    if shapes is not None and path is not None:
        check_pretrained(path.pretrain_network_g, path.param_key_g, path.strict_load_g, shapes, f"{key}.path", "g", findings)
        if path.pretrain_network_g is None and path.init_from_previous and previous is not None:
            check_handoff(previous, shapes, run.stages[index - 1].params.name, f"{key}.network_g", findings)
    if gan:
        d_shapes = shapes_of(p.network_d, registries, f"{key}.network_d", findings)
        if d_shapes is not None and path is not None:
            check_pretrained(path.pretrain_network_d, path.param_key_d, path.strict_load_d, d_shapes, f"{key}.path", "d", findings)
    losses = getattr(getattr(p, "train", None), "losses", None)
    if losses is not None:
        check_losses(losses, registries, f"{key}.train.losses", gan=gan, findings=findings)
    return shapes
