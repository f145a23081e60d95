"""BasicSR / Real-ESRGAN option files (``options/train_*.yml``) -> an esrgan ``train`` config.

:func:`is_basicsr_options` recognises the form; :func:`convert_options` returns the equivalent
config as plain data plus ``{key: reason}`` for every option that could not be carried.
Relative paths are kept as written: BasicSR and esrgan both resolve them against the working
directory (see docs/config.md).
"""

from __future__ import annotations

from typing import Any, Mapping

from esrgan_core.degradation.presets import BASICSR_KEYS, BASICSR_UNUSED_KEYS
from esrgan_plugins.importers.basicsr_train import train_section
from esrgan_plugins.importers.options import OptionReader, as_int

MODEL_TYPES = {"RealESRGANModel": "esrgan", "RealESRNetModel": "esrnet", "SRModel": "esrnet",
               "SRGANModel": "esrgan", "ESRGANModel": "esrgan"}
REAL_MODELS = ("RealESRGANModel", "RealESRNetModel")
NETWORKS = {"RRDBNet": "rrdbnet", "SRVGGNetCompact": "srvgg_compact", "UNetDiscriminatorSN": "unet_discriminator_sn",
            "VGGStyleDiscriminator": "vgg_discriminator", "SPAN": "span", "PLKSR": "plksr", "RealPLKSR": "realplksr",
            "SAFMN": "safmn", "OmniSR": "omnisr", "DAT": "dat", "SwinIR": "swinir", "HAT": "hat"}
NETWORK_ARGS = {  # the reference's argument names; ARG_RENAMES maps those of the spandrel architectures to ours
    "rrdbnet": ("num_in_ch", "num_out_ch", "scale", "num_feat", "num_block", "num_grow_ch"),
    "srvgg_compact": ("num_in_ch", "num_out_ch", "num_feat", "num_conv", "upscale", "act_type"),
    "unet_discriminator_sn": ("num_in_ch", "num_feat", "skip_connection"),
    "vgg_discriminator": ("num_in_ch", "num_feat", "input_size"),
    "span": ("num_in_ch", "num_out_ch", "upscale", "feature_channels", "norm"),
    "plksr": ("upscaling_factor", "dim", "n_blocks", "kernel_size", "split_ratio", "ccm_type", "lk_type", "use_ea"),
    "realplksr": ("upscaling_factor", "dim", "n_blocks", "kernel_size", "split_ratio", "use_ea", "norm_groups", "dropout", "dysample",
                  "layer_norm"),
    "safmn": ("upscaling_factor", "dim", "n_blocks", "ffn_scale"),
    "omnisr": ("num_in_ch", "num_out_ch", "up_scale", "num_feat", "res_num", "block_num", "window_size"),
    "dat": ("upscale", "img_size", "embed_dim", "depth", "num_heads", "split_size", "expansion_factor", "resi_connection",
            "upsampler", "drop_path_rate", "use_chk"),
    "swinir": ("upscale", "img_size", "embed_dim", "depths", "num_heads", "window_size", "mlp_ratio", "upsampler",
               "drop_path_rate", "use_checkpoint"),
    "hat": ("upscale", "img_size", "embed_dim", "depths", "num_heads", "window_size", "compress_ratio", "squeeze_factor",
            "mlp_ratio", "drop_path_rate", "use_checkpoint"),
}
ARG_RENAMES = {"upscale": "scale", "upscaling_factor": "scale", "up_scale": "scale", "use_chk": "checkpointing",
               "use_checkpoint": "checkpointing"}  # the reference's argument names -> ours (when ours differ)
PAIRED_DATASETS = ("RealESRGANPairedDataset", "PairedImageDataset")
METRICS = {"calculate_psnr": "psnr", "calculate_ssim": "ssim", "calculate_lpips": "lpips"}
DEGRADATION_KEYS = BASICSR_KEYS + BASICSR_UNUSED_KEYS
IGNORED = {
    "num_gpu": "the process count comes from `accelerate launch`",
    "dist_params": "distributed settings come from `accelerate launch`",
    "is_train": "set by BasicSR itself", "dist": "set by BasicSR itself", "rank": "set by BasicSR itself",
    "world_size": "set by BasicSR itself", "auto_resume": "esrgan always resumes from the run folder (--fresh starts over)",
    "logger.wandb": "wandb logging is not built in",
    "logger.use_tb_logger": "no tensorboard writer; curves are in logs/metrics.jsonl and logs/curves.png",
    "val.pbar": "no validation progress bar", "val.suffix": "file-name suffix of saved images is fixed",
}


def is_basicsr_options(data: Any) -> bool:
    """A BasicSR option file: a known ``model_type``, or a top-level ``network_g`` of a known type."""
    if not isinstance(data, Mapping) or "stages" in data or "task" in data:
        return False
    net = data.get("network_g")
    return data.get("model_type") in MODEL_TYPES or (isinstance(net, Mapping) and net.get("type") in NETWORKS)


def network(r: OptionReader, key: str) -> dict[str, Any]:
    kind = r.get(f"{key}.type")
    name = NETWORKS.get(kind, kind)
    if kind not in NETWORKS:
        r.drop(f"{key}.type", f"architecture {kind!r} is not built in (kept as written)")
    out: dict[str, Any] = {"type": name}
    known = NETWORK_ARGS.get(name, ())
    for arg in r.section(key):
        if arg != "type" and arg in known:
            target = arg if name in ("rrdbnet", "srvgg_compact") else ARG_RENAMES.get(arg, arg)  # those two keep upscale
            out[target] = as_int(r.get(f"{key}.{arg}"))
    return out


def degradation(r: OptionReader, data: Mapping[str, Any], scale: int) -> str | list[dict[str, Any]]:
    """The degradation reader of the flat knobs; the shipped preset's name when the stage lists are equal."""
    from esrgan_core.degradation.presets import from_basicsr_options, load_preset, preset_names

    stages = from_basicsr_options(data)
    for key in DEGRADATION_KEYS:
        for path in (key, f"datasets.train.{key}"):
            r.get(path)
    for name in preset_names():
        preset = load_preset(name)
        if preset.scale == scale and preset.stages == stages:
            return name
    return stages


def train_dataset(r: OptionReader, scale: int) -> dict[str, Any]:
    p = "datasets.train"
    kind = r.get(f"{p}.type")
    r.drop(f"{p}.name", "a label only")
    if r.get(f"{p}.io_backend.type", "disk") != "disk":
        r.drop(f"{p}.io_backend", "only image files on disk are read (lmdb is not supported)")
    r.accept(f"{p}.use_shuffle", True, "the training order is always shuffled")
    r.accept(f"{p}.dataset_enlarge_ratio", 1, "no dataset enlarging")
    r.accept(f"{p}.prefetch_mode", None, "prefetching is left to the DataLoader")
    r.drop(f"{p}.pin_memory", "chosen automatically")
    r.drop(f"{p}.persistent_workers", "chosen automatically")
    if kind in PAIRED_DATASETS:
        ds = {"type": "paired_folder", "dataroot_gt": r.get(f"{p}.dataroot_gt"), "dataroot_lq": r.get(f"{p}.dataroot_lq")}
        meta = r.get(f"{p}.meta_info", r.get(f"{p}.meta_info_file"))
        if meta is not None:
            ds["meta_info"] = meta
        if r.has(f"{p}.filename_tmpl"):
            ds["filename_tmpl"] = r.get(f"{p}.filename_tmpl")
        ds.update(scale=scale, gt_size=as_int(r.get(f"{p}.gt_size", 256)))
    else:
        if kind != "RealESRGANDataset":
            r.drop(f"{p}.type", f"dataset type {kind!r} is not built in; read as an HR folder")
        ds = {"type": "hr_folder", "dataroot": r.get(f"{p}.dataroot_gt"), "meta_info": r.get(f"{p}.meta_info"),
              "patch_size": 400}  # RealESRGANDataset pads/crops every image to 400x400
        if ds["meta_info"] is None:
            del ds["meta_info"]
    ds["use_hflip"] = bool(r.get(f"{p}.use_hflip", True))
    ds["use_rot"] = bool(r.get(f"{p}.use_rot", True))
    return {"dataset": ds, "batch_size_per_gpu": as_int(r.get(f"{p}.batch_size_per_gpu", 12)),
            "num_worker_per_gpu": as_int(r.get(f"{p}.num_worker_per_gpu", 0))}


def val_dataset(r: OptionReader, scale: int) -> dict[str, Any] | None:
    keys = [k for k in r.section("datasets") if str(k).startswith("val")]
    for extra in keys[1:]:
        r.drop(f"datasets.{extra}", "only one validation set is supported")
    if not keys:
        return None
    p = f"datasets.{keys[0]}"
    kind = r.get(f"{p}.type")
    r.drop(f"{p}.name", "a label only")
    r.accept(f"{p}.io_backend.type", "disk", "only image files on disk are read")
    r.drop(f"{p}.phase", "set by BasicSR itself")
    if kind not in PAIRED_DATASETS:
        r.drop(p, f"validation dataset type {kind!r} is not supported (paired GT/LQ folders are)")
        return None
    ds = {"type": "paired_folder", "dataroot_gt": r.get(f"{p}.dataroot_gt"), "dataroot_lq": r.get(f"{p}.dataroot_lq"),
          "scale": scale, "use_hflip": False, "use_rot": False}
    meta = r.get(f"{p}.meta_info", r.get(f"{p}.meta_info_file"))
    if meta is not None:
        ds["meta_info"] = meta
    if r.has(f"{p}.filename_tmpl"):
        ds["filename_tmpl"] = r.get(f"{p}.filename_tmpl")
    return {"dataset": ds}


def val_section(r: OptionReader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r.has("val.val_freq"):
        out["val_freq"] = as_int(r.get("val.val_freq"))
    if r.has("val.save_img"):
        out["save_img"] = bool(r.get("val.save_img"))
    metrics = []
    for name, spec in r.section("val.metrics").items():
        key = f"val.metrics.{name}"
        kind = spec.get("type") if isinstance(spec, Mapping) else spec
        metric = METRICS.get(kind)
        if metric is None:
            r.drop(key, f"metric type {kind!r} is not built in")
            continue
        r.get(f"{key}.type")
        entry: dict[str, Any] = {"type": metric}
        if metric in ("psnr", "ssim"):
            entry["crop_border"] = as_int(r.get(f"{key}.crop_border", 0))
            entry["test_y_channel"] = bool(r.get(f"{key}.test_y_channel", False))
        else:
            r.accept(f"{key}.crop_border", 0, "lpips scores whole images")
        r.accept(f"{key}.better", "lower" if metric == "lpips" else "higher", "the metric's own direction is used")
        metrics.append(entry)
    if metrics:
        out["metrics"] = metrics
    return out


def path_section(r: OptionReader, with_d: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    keys = ("pretrain_network_g", "param_key_g", "strict_load_g") + (
        ("pretrain_network_d", "param_key_d", "strict_load_d") if with_d else ())
    for key in keys:
        value = r.get(f"path.{key}")
        if value is not None:
            out[key] = value
    if not with_d:
        for key in ("pretrain_network_d", "param_key_d", "strict_load_d"):
            r.drop(f"path.{key}", "this model has no discriminator")
    r.accept("path.resume_state", None, "esrgan resumes automatically from the run folder")
    return out


def convert_options(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(config, not_carried)``: the esrgan train config and ``{key path: reason}``."""
    r = OptionReader(data)
    model_type = r.get("model_type")
    stage_type = MODEL_TYPES.get(model_type) or ("esrgan" if r.has("network_d") else "esrnet")
    if model_type not in MODEL_TYPES:
        r.drop("model_type", f"unknown model type {model_type!r}; trained as {stage_type}")
    real = model_type in REAL_MODELS
    scale = as_int(r.get("scale", 4))
    cfg: dict[str, Any] = {"task": "train", "name": r.get("name", "imported"), "scale": scale,
                           "seed": as_int(r.get("manual_seed", 0))}
    train_ds = train_dataset(r, scale)
    val_ds = val_dataset(r, scale)
    cfg["datasets"] = {"train": train_ds, **({"val": val_ds} if val_ds else {})}
    high_order = real and bool(r.get("high_order_degradation", True))
    cfg["high_order_degradation"] = high_order
    if high_order:
        cfg["degradation"] = degradation(r, data, scale)
    else:
        for key in DEGRADATION_KEYS:
            r.drop(key, "high-order degradation is off")
            r.drop(f"datasets.train.{key}", "high-order degradation is off")
    ds_gt = as_int(r.get("datasets.train.gt_size"))
    cfg["gt_size"] = as_int(r.get("gt_size", ds_gt if ds_gt is not None else 256))
    if ds_gt is not None and ds_gt != cfg["gt_size"] and not train_ds["dataset"].get("gt_size"):
        r.drop("datasets.train.gt_size", f"RealESRGANDataset ignores it; the top-level gt_size {cfg['gt_size']} is used")
    queue = as_int(r.get("queue_size", 180))  # the reference ignores it without high-order degradation
    cfg["queue_size"] = queue if high_order else 0
    stage: dict[str, Any] = {"type": stage_type, "name": stage_type, "network_g": network(r, "network_g")}
    if stage_type == "esrgan":
        stage["network_d"] = network(r, "network_d")
    stage["path"] = path_section(r, stage_type == "esrgan")
    stage["train"] = train_section(r, stage=stage_type, real=real)
    cfg["stages"] = [stage]
    val = val_section(r)
    if val:
        cfg["val"] = val
    cfg["logger"] = {k: as_int(r.get(f"logger.{k}")) for k in ("print_freq", "save_checkpoint_freq") if r.has(f"logger.{k}")}
    for key, reason in IGNORED.items():
        r.drop(key, reason)
    return cfg, r.not_carried()
