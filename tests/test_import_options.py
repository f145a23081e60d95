"""BasicSR/Real-ESRGAN option files -> esrgan train configs (values from reference §1.6)."""

from __future__ import annotations

import logging

import pytest
import yaml

from esrgan_core.cli import main
from esrgan_core.config import build_config, load_config
from esrgan_core.degradation.presets import from_basicsr_options, load_preset
from esrgan_core.errors import ConfigError
from esrgan_plugins.importers import convert_options, is_basicsr_options, options_to_yaml

DEGRADATION = """
# the first degradation process
resize_prob: [0.2, 0.7, 0.1]  # up, down, keep
resize_range: [0.15, 1.5]
gaussian_noise_prob: 0.5
noise_range: [1, 30]
poisson_scale_range: [0.05, 3]
gray_noise_prob: 0.4
jpeg_range: [30, 95]

# the second degradation process
second_blur_prob: 0.8
resize_prob2: [0.3, 0.4, 0.3]  # up, down, keep
resize_range2: [0.3, 1.2]
gaussian_noise_prob2: 0.5
noise_range2: [1, 25]
poisson_scale_range2: [0.05, 2.5]
gray_noise_prob2: 0.4
jpeg_range2: [30, 95]
"""

KERNELS = """
    blur_kernel_size: 21
    kernel_list: ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso']
    kernel_prob: [0.45, 0.25, 0.12, 0.03, 0.12, 0.03]
    sinc_prob: 0.1
    blur_sigma: [0.2, 3]
    betag_range: [0.5, 4]
    betap_range: [1, 2]

    blur_kernel_size2: 21
    kernel_list2: ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso']
    kernel_prob2: [0.45, 0.25, 0.12, 0.03, 0.12, 0.03]
    sinc_prob2: 0.1
    blur_sigma2: [0.2, 1.5]
    betag_range2: [0.5, 4]
    betap_range2: [1, 2]

    final_sinc_prob: 0.8
"""

LOADER = """
    gt_size: 256
    use_hflip: True
    use_rot: False

    # data loader
    use_shuffle: true
    num_worker_per_gpu: 5
    batch_size_per_gpu: 12
    dataset_enlarge_ratio: 1
    prefetch_mode: ~
"""

TAIL = """
# logging settings
logger:
  print_freq: 100
  save_checkpoint_freq: !!float 5e3
  use_tb_logger: true
  wandb:
    project: ~
    resume_id: ~

# dist training settings
dist_params:
  backend: nccl
  port: 29500
"""

G_NET = """
network_g:
  type: RRDBNet
  num_in_ch: 3
  num_out_ch: 3
  num_feat: 64
  num_block: 23
  num_grow_ch: 32
"""

D_NET = """
network_d:
  type: UNetDiscriminatorSN
  num_in_ch: 3
  num_feat: 64
  skip_connection: True
"""

GAN_TRAIN = """
train:
  ema_decay: 0.999
  optim_g:
    type: Adam
    lr: !!float 1e-4
    weight_decay: 0
    betas: [0.9, 0.99]
  optim_d:
    type: Adam
    lr: !!float 1e-4
    weight_decay: 0
    betas: [0.9, 0.99]

  scheduler:
    type: MultiStepLR
    milestones: [400000]
    gamma: 0.5

  total_iter: 400000
  warmup_iter: -1  # no warm up

  # losses
  pixel_opt:
    type: L1Loss
    loss_weight: 1.0
    reduction: mean
  # perceptual loss (content and style losses)
  perceptual_opt:
    type: PerceptualLoss
    layer_weights:
      # before relu
      'conv1_2': 0.1
      'conv2_2': 0.1
      'conv3_4': 1
      'conv4_4': 1
      'conv5_4': 1
    vgg_type: vgg19
    use_input_norm: true
    perceptual_weight: !!float 1.0
    style_weight: 0
    range_norm: false
    criterion: l1
  # gan loss
  gan_opt:
    type: GANLoss
    gan_type: vanilla
    real_label_val: 1.0
    fake_label_val: 0.0
    loss_weight: !!float 1e-1

  net_d_iters: 1
  net_d_init_iters: 0
"""

TRAIN_DATASET = """
datasets:
  train:
    name: DF2K+OST
    type: RealESRGANDataset
    dataroot_gt: datasets/DF2K
    meta_info: datasets/DF2K/meta_info/meta_info_DF2Kmultiscale+OST_sub.txt
    io_backend:
      type: disk
""" + KERNELS + LOADER

REALESRNET_X4PLUS = """
# general settings
name: train_RealESRNetx4plus_1000k_B12G4
model_type: RealESRNetModel
scale: 4
num_gpu: auto  # auto: can infer from your visible devices automatically. official: 4 GPUs
manual_seed: 0

# ----------------- options for synthesizing training data in RealESRNetModel ----------------- #
gt_usm: True  # USM the ground-truth
""" + DEGRADATION + """
gt_size: 256
queue_size: 180
""" + TRAIN_DATASET + G_NET + """
# path
path:
  pretrain_network_g: experiments/pretrained_models/ESRGAN_SRx4_DF2KOST_official-ff704c30.pth
  param_key_g: params_ema
  strict_load_g: true
  resume_state: ~

# training settings
train:
  ema_decay: 0.999
  optim_g:
    type: Adam
    lr: !!float 2e-4
    weight_decay: 0
    betas: [0.9, 0.99]

  scheduler:
    type: MultiStepLR
    milestones: [1000000]
    gamma: 0.5

  total_iter: 1000000
  warmup_iter: -1  # no warm up

  # losses
  pixel_opt:
    type: L1Loss
    loss_weight: 1.0
    reduction: mean

# Uncomment these for validation
# validation settings
val:
  val_freq: !!float 5e3
  save_img: True

  metrics:
    psnr: # metric name
      type: calculate_psnr
      crop_border: 4
      test_y_channel: false
""" + TAIL

REALESRGAN_X4PLUS = """
# general settings
name: train_RealESRGANx4plus_400k_B12G4
model_type: RealESRGANModel
scale: 4
num_gpu: auto  # auto: can infer from your visible devices automatically. official: 4 GPUs
manual_seed: 0

# ----------------- options for synthesizing training data in RealESRGANModel ----------------- #
# USM the ground-truth
l1_gt_usm: True
percep_gt_usm: True
gan_gt_usm: False
""" + DEGRADATION + """
gt_size: 256
queue_size: 180
""" + TRAIN_DATASET + G_NET + D_NET + """
# path
path:
  # use the pre-trained Real-ESRNet model
  pretrain_network_g: experiments/pretrained_models/RealESRNet_x4plus.pth
  param_key_g: params_ema
  strict_load_g: true
  resume_state: ~
""" + GAN_TRAIN + TAIL

FINETUNE_PAIRDATA = """
# general settings
name: finetune_RealESRGANx4plus_400k_pairdata
model_type: RealESRGANModel
scale: 4
num_gpu: auto
manual_seed: 0

# USM the ground-truth
l1_gt_usm: True
percep_gt_usm: True
gan_gt_usm: False

high_order_degradation: False # do not use the high-order degradation generation process

# dataset and data loader settings
datasets:
  train:
    name: DIV2K
    type: RealESRGANPairedDataset
    dataroot_gt: datasets/DF2K
    dataroot_lq: datasets/DF2K
    meta_info: datasets/DF2K/meta_info/meta_info_DIV2K_sub_pair.txt
    io_backend:
      type: disk
""" + LOADER + G_NET + D_NET + """
# path
path:
  # use the pre-trained Real-ESRNet model
  pretrain_network_g: experiments/pretrained_models/RealESRGAN_x4plus.pth
  param_key_g: params_ema
  strict_load_g: true
  pretrain_network_d: experiments/pretrained_models/RealESRGAN_x4plus_netD.pth
  param_key_d: params
  strict_load_d: true
  resume_state: ~
""" + GAN_TRAIN + TAIL

EXPECTED_DROPS = {"num_gpu", "dist_params", "logger.wandb", "logger.use_tb_logger", "datasets.train.name"}


def load(text: str) -> dict:
    return yaml.safe_load(text)


def stage_of(cfg: dict) -> dict:
    (stage,) = cfg["stages"]
    return stage


def test_detection():
    for text in (REALESRNET_X4PLUS, REALESRGAN_X4PLUS, FINETUNE_PAIRDATA):
        assert is_basicsr_options(load(text))
    assert is_basicsr_options({"network_g": {"type": "SRVGGNetCompact"}})
    assert not is_basicsr_options({"name": "x", "stages": [], "datasets": {}})
    assert not is_basicsr_options({"task": "upscale", "model_type": "SRModel"})
    assert not is_basicsr_options({"network_g": {"type": "EDSR"}})
    assert is_basicsr_options({"network_g": {"type": "SwinIR"}})  # a spandrel architecture we train


def test_spandrel_architecture_types_and_arguments_map_to_ours():
    """DAT / SPAN option files (BasicSR-based repos) name scale ``upscale`` and checkpointing ``use_chk``."""
    from esrgan_plugins.importers.basicsr import network
    from esrgan_plugins.importers.options import OptionReader

    data = {"network_g": {"type": "DAT", "upscale": 2, "in_chans": 3, "img_size": 64, "img_range": 1.0, "depth": [18],
                          "embed_dim": 60, "num_heads": [6], "expansion_factor": 2, "resi_connection": "3conv",
                          "split_size": [8, 32], "upsampler": "pixelshuffledirect", "use_chk": True},
            "network_d": {"type": "VGGStyleDiscriminator", "num_in_ch": 3, "num_feat": 64, "input_size": 128}}
    r = OptionReader(data)
    assert network(r, "network_g") == {"type": "dat", "scale": 2, "img_size": 64, "depth": [18], "embed_dim": 60,
                                       "num_heads": [6], "expansion_factor": 2, "resi_connection": "3conv",
                                       "split_size": [8, 32], "upsampler": "pixelshuffledirect", "checkpointing": True}
    assert network(r, "network_d") == {"type": "vgg_discriminator", "num_in_ch": 3, "num_feat": 64, "input_size": 128}
    span = network(OptionReader({"network_g": {"type": "SPAN", "num_in_ch": 3, "num_out_ch": 3, "upscale": 4,
                                               "feature_channels": 48}}), "network_g")
    assert span == {"type": "span", "num_in_ch": 3, "num_out_ch": 3, "scale": 4, "feature_channels": 48}


def test_realesrnet_values_are_carried():
    cfg, dropped = convert_options(load(REALESRNET_X4PLUS))
    assert cfg["name"] == "train_RealESRNetx4plus_1000k_B12G4" and cfg["scale"] == 4 and cfg["seed"] == 0
    assert cfg["datasets"]["train"] == {
        "dataset": {"type": "hr_folder", "dataroot": "datasets/DF2K", "patch_size": 400, "use_hflip": True, "use_rot": False,
                    "meta_info": "datasets/DF2K/meta_info/meta_info_DF2Kmultiscale+OST_sub.txt"},
        "batch_size_per_gpu": 12, "num_worker_per_gpu": 5}
    assert cfg["high_order_degradation"] is True and cfg["gt_size"] == 256 and cfg["queue_size"] == 180
    stage = stage_of(cfg)
    assert stage["type"] == "esrnet"
    assert stage["network_g"] == {"type": "rrdbnet", "num_in_ch": 3, "num_out_ch": 3, "num_feat": 64, "num_block": 23, "num_grow_ch": 32}
    assert stage["path"] == {"pretrain_network_g": "experiments/pretrained_models/ESRGAN_SRx4_DF2KOST_official-ff704c30.pth",
                             "param_key_g": "params_ema", "strict_load_g": True}
    t = stage["train"]
    assert t["total_iter"] == 1_000_000 and t["ema_decay"] == 0.999 and t["gt_usm"] is True
    assert t["optim_g"] == {"type": "Adam", "lr": 2e-4, "betas": [0.9, 0.99], "weight_decay": 0}
    assert t["scheduler"] == {"type": "multistep", "milestones": [1_000_000], "gamma": 0.5}
    assert t["losses"] == [{"type": "l1", "weight": 1.0, "reduction": "mean", "target": "gt"}]
    assert cfg["val"] == {"val_freq": 5000, "save_img": True,
                          "metrics": [{"type": "psnr", "crop_border": 4, "test_y_channel": False}]}
    assert cfg["logger"] == {"print_freq": 100, "save_checkpoint_freq": 5000}
    assert set(dropped) == EXPECTED_DROPS | {"logger.wandb"}
    assert "accelerate" in dropped["num_gpu"]


def test_realesrgan_values_are_carried():
    cfg, dropped = convert_options(load(REALESRGAN_X4PLUS))
    stage = stage_of(cfg)
    assert stage["type"] == "esrgan"
    assert stage["network_d"] == {"type": "unet_discriminator_sn", "num_in_ch": 3, "num_feat": 64, "skip_connection": True}
    t = stage["train"]
    assert (t["gt_usm"], t["gan_gt_usm"]) == (False, False)
    assert "l1_gt_usm" not in t and "percep_gt_usm" not in t  # carried as the losses' targets below
    assert t["optim_d"] == t["optim_g"] == {"type": "Adam", "lr": 1e-4, "betas": [0.9, 0.99], "weight_decay": 0}
    assert t["scheduler"]["milestones"] == [400_000] and t["total_iter"] == 400_000
    assert (t["net_d_iters"], t["net_d_init_iters"]) == (1, 0)
    l1, percep, gan = t["losses"]
    assert l1 == {"type": "l1", "weight": 1.0, "reduction": "mean", "target": "gt_usm"}
    assert percep == {"type": "perceptual", "layer_weights": {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1, "conv4_4": 1, "conv5_4": 1},
                      "vgg_type": "vgg19", "use_input_norm": True, "range_norm": False, "perceptual_weight": 1.0,
                      "style_weight": 0, "criterion": "l1", "target": "gt_usm"}
    assert gan == {"type": "gan", "gan_type": "vanilla", "real_label_val": 1.0, "fake_label_val": 0.0, "weight": 0.1}
    assert set(dropped) == EXPECTED_DROPS
    assert "val" not in cfg


def test_pairdata_finetune_is_paired_without_degradation():
    cfg, dropped = convert_options(load(FINETUNE_PAIRDATA))
    assert cfg["high_order_degradation"] is False and "degradation" not in cfg and cfg["queue_size"] == 0
    assert cfg["datasets"]["train"]["dataset"] == {
        "type": "paired_folder", "dataroot_gt": "datasets/DF2K", "dataroot_lq": "datasets/DF2K",
        "meta_info": "datasets/DF2K/meta_info/meta_info_DIV2K_sub_pair.txt", "scale": 4, "gt_size": 256,
        "use_hflip": True, "use_rot": False}
    assert stage_of(cfg)["path"] == {
        "pretrain_network_g": "experiments/pretrained_models/RealESRGAN_x4plus.pth", "param_key_g": "params_ema",
        "strict_load_g": True, "pretrain_network_d": "experiments/pretrained_models/RealESRGAN_x4plus_netD.pth",
        "param_key_d": "params", "strict_load_d": True}
    assert set(dropped) == EXPECTED_DROPS


def test_degradation_matches_the_shipped_preset():
    preset = load_preset("realesrgan_x4plus")
    assert from_basicsr_options(load(REALESRGAN_X4PLUS)) == preset.stages
    gan_cfg, _ = convert_options(load(REALESRGAN_X4PLUS))
    assert gan_cfg["degradation"] == "realesrgan_x4plus"  # same stage list -> the preset's name
    # RealESRNet sharpens the GT itself and degrades it; the reader writes the same usm stage as for
    # the GAN model (-> gt_usm and lq) and the esrnet trainer's gt_usm: true makes gt_usm the target,
    # so the target is sharpened exactly once.
    assert from_basicsr_options(load(REALESRNET_X4PLUS)) == preset.stages
    net_cfg, _ = convert_options(load(REALESRNET_X4PLUS))
    assert net_cfg["degradation"] == "realesrgan_x4plus" and net_cfg["stages"][0]["train"]["gt_usm"] is True


def test_esrnet_target_is_sharpened_once():
    """The converted ESRNet recipe trains towards USM(gt) and degrades USM(gt), as RealESRNetModel."""
    import torch

    from esrgan_core.context import RunContext
    from esrgan_core.degradation.filtering import usm_sharpen
    from esrgan_core.trainer_api import PairRequest
    from esrgan_core.training.pairs import PairMaker

    config, _ = convert_options(load(REALESRNET_X4PLUS))
    config["queue_size"] = 0
    cfg, host = build_config(config)
    maker = PairMaker(cfg.params, RunContext(host, cfg).registries, PairRequest(sharpen_target=True))
    gt = torch.rand(2, 3, 400, 400, generator=torch.Generator().manual_seed(0))
    pair = maker.make({"gt": gt}, torch.Generator().manual_seed(1), torch.device("cpu"))
    sharp = usm_sharpen(gt)
    n = pair["gt"].shape[-1]
    found = [(t, x) for t in range(400 - n + 1) for x in range(0, 400 - n + 1, 4)
             if torch.equal(pair["gt"][0, :, :4, :4], sharp[0, :, t:t + 4, x:x + 4])]
    assert found, "the ESRNet target is not a crop of USM(gt)"


@pytest.mark.parametrize("text", [REALESRNET_X4PLUS, REALESRGAN_X4PLUS, FINETUNE_PAIRDATA], ids=["esrnet", "esrgan", "pairdata"])
def test_converted_config_validates(text):
    config, _ = convert_options(load(text))
    cfg, host = build_config(config, file="converted.yml")
    assert cfg.task == "train" and cfg.params.name == config["name"]
    stage = cfg.params.stages[0]
    assert stage.type == config["stages"][0]["type"]
    assert len(stage.params.train.losses) == len(config["stages"][0]["train"]["losses"])


def test_option_file_runs_through_convert_foreign_config(tmp_path, caplog):
    path = tmp_path / "train_realesrgan_x4plus.yml"
    path.write_text(REALESRGAN_X4PLUS)
    with caplog.at_level(logging.WARNING):
        cfg, _ = load_config(path)
    assert cfg.params.name == "train_RealESRGANx4plus_400k_B12G4"
    assert cfg.params.stages[0].params.train.optim_g.lr == 1e-4
    assert "logger.use_tb_logger not carried" in caplog.text and "num_gpu not carried" in caplog.text


def test_unknown_values_are_named_not_lost():
    data = load(REALESRGAN_X4PLUS)
    data["train"]["optim_g"]["type"] = "SGD"
    data["train"]["scheduler"] = {"type": "CosineAnnealingRestartLR", "periods": [100, 200], "restart_weights": [1, 1],
                                  "eta_min": 1e-7}
    data["train"]["optim_g"]["amsgrad"] = True
    data["network_g"]["mystery"] = 1
    data["datasets"]["train"]["io_backend"] = {"type": "lmdb"}
    data["val"] = {"metrics": {"psnr": {"type": "calculate_psnr", "crop_border": 4, "test_y_channel": True},
                               "niqe": {"type": "calculate_niqe", "crop_border": 4}}}
    cfg, dropped = convert_options(data)
    assert "SGD" in dropped["train.optim_g.type"] and cfg["stages"][0]["train"]["optim_g"]["type"] == "Adam"
    assert "train.optim_g.amsgrad" in dropped and "network_g.mystery" in dropped
    assert "train.scheduler.periods" in dropped and "train.scheduler.restart_weights" in dropped
    assert cfg["stages"][0]["train"]["scheduler"] == {"type": "cosine", "eta_min": pytest.approx(1e-7 / 1e-4)}
    assert "lmdb" in dropped["datasets.train.io_backend"]
    assert cfg["val"]["metrics"] == [{"type": "psnr", "crop_border": 4, "test_y_channel": True}]
    assert "calculate_niqe" in dropped["val.metrics.niqe"]


def test_srmodel_paired_and_non_real_defaults():
    data = {"name": "plain", "model_type": "SRModel", "scale": 2,
            "datasets": {"train": {"type": "PairedImageDataset", "dataroot_gt": "gt", "dataroot_lq": "lq",
                                   "meta_info_file": "meta.txt", "filename_tmpl": "{}x2", "gt_size": 128,
                                   "use_hflip": True, "use_rot": True, "batch_size_per_gpu": 4},
                         "val": {"name": "Set5", "type": "PairedImageDataset", "dataroot_gt": "v/gt", "dataroot_lq": "v/lq"}},
            "network_g": {"type": "SRVGGNetCompact", "num_feat": 8, "num_conv": 2, "upscale": 2, "act_type": "prelu"},
            "train": {"optim_g": {"type": "Adam", "lr": 1e-3}, "total_iter": 10, "warmup_iter": 3,
                      "scheduler": {"type": "MultiStepLR", "milestones": [5]},
                      "pixel_opt": {"type": "CharbonnierLoss", "eps": 1e-6}}}
    cfg, dropped = convert_options(data)
    assert dropped == {"datasets.val.name": "a label only"}
    t = stage_of(cfg)["train"]
    assert t["optim_g"]["betas"] == [0.9, 0.999] and t["ema_decay"] == 0.0 and t["gt_usm"] is False
    assert t["scheduler"] == {"type": "multistep", "milestones": [5], "gamma": 0.1, "warmup_iter": 3}
    assert t["losses"] == [{"type": "charbonnier", "weight": 1.0, "reduction": "mean", "target": "gt", "eps": 1e-6}]
    assert cfg["gt_size"] == 128 and cfg["datasets"]["train"]["dataset"]["filename_tmpl"] == "{}x2"
    assert cfg["datasets"]["val"]["dataset"]["dataroot_lq"] == "v/lq"
    build_config(cfg)


def test_import_options_command_prints_yaml_with_header(tmp_path, capsys):
    src = tmp_path / "train_realesrnet_x4plus.yml"
    src.write_text(REALESRNET_X4PLUS)
    assert main(["import-options", str(src), "--check"]) == 0
    out = capsys.readouterr().out
    header = [line for line in out.splitlines() if line.startswith("#")]
    assert any("logger.use_tb_logger" in line for line in header) and any("num_gpu" in line for line in header)
    converted = yaml.safe_load(out)
    assert converted == convert_options(load(REALESRNET_X4PLUS))[0]
    new = tmp_path / "new.yml"
    assert main(["import-options", str(src), "-o", str(new)]) == 0
    assert new.read_text() == out
    cfg, _ = load_config(new)
    assert cfg.params.stages[0].params.train.total_iter == 1_000_000


def test_import_options_rejects_other_files(tmp_path, capsys):
    src = tmp_path / "x.yml"
    src.write_text("name: x\nstages: []\n")
    assert main(["import-options", str(src)]) == 2
    assert "not a BasicSR" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        options_to_yaml({"name": "x"})
