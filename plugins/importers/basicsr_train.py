"""The ``train:`` section of a BasicSR/Real-ESRGAN option file -> one esrgan trainer stage's ``train``.

BasicSR defaults are written out explicitly where ours differ (Adam betas, GANLoss weight,
MultiStepLR gamma, no EMA without ``ema_decay``), so the converted run trains the same way.
"""

from __future__ import annotations

from typing import Any

from esrgan_plugins.importers.options import OptionReader, as_int, as_number

PIXEL_LOSSES = {"L1Loss": "l1", "MSELoss": "mse", "CharbonnierLoss": "charbonnier"}
MULTISTEP = ("MultiStepLR", "MultiStepRestartLR")
TORCH_ADAM_BETAS = [0.9, 0.999]


def optimizer(r: OptionReader, key: str) -> dict[str, Any]:
    """``optim_g``/``optim_d`` (Adam/AdamW; other types are named as not carried)."""
    kind = r.get(f"{key}.type", "Adam")
    if kind not in ("Adam", "AdamW"):
        r.drop(f"{key}.type", f"optimizer {kind!r} is not built in; Adam is used")
        kind = "Adam"
    out: dict[str, Any] = {"type": kind, "lr": as_number(r.get(f"{key}.lr", 1e-4))}
    out["betas"] = [as_number(b) for b in r.get(f"{key}.betas", TORCH_ADAM_BETAS)]
    out["weight_decay"] = as_number(r.get(f"{key}.weight_decay", 0.0 if kind == "Adam" else 0.01))
    if r.has(f"{key}.eps"):
        out["eps"] = as_number(r.get(f"{key}.eps"))
    return out


def scheduler(r: OptionReader, lr: float) -> dict[str, Any]:
    """``train.scheduler`` + ``train.warmup_iter`` -> our ``scheduler``."""
    key = "train.scheduler"
    kind = r.get(f"{key}.type")
    out: dict[str, Any] = {"type": "constant"}
    if kind in MULTISTEP:
        out = {"type": "multistep", "milestones": [as_int(m) for m in r.get(f"{key}.milestones", [])],
               "gamma": as_number(r.get(f"{key}.gamma", 0.1))}
        r.accept(f"{key}.restarts", [0], "scheduler restarts are not supported")
        r.accept(f"{key}.restart_weights", [1], "scheduler restarts are not supported")
    elif kind == "CosineAnnealingRestartLR":
        periods = r.get(f"{key}.periods", [])
        out = {"type": "cosine", "eta_min": as_number(r.get(f"{key}.eta_min", 0.0)) / lr}
        if len(periods) != 1:
            r.drop(f"{key}.periods", "only one cosine period (= total_iter) is supported")
        r.accept(f"{key}.restart_weights", [1], "scheduler restarts are not supported")
    elif kind is not None:
        r.drop(f"{key}.type", f"scheduler {kind!r} is not built in; the LR is kept constant")
    warmup = as_int(r.get("train.warmup_iter", -1))
    if isinstance(warmup, int) and warmup > 0:
        out["warmup_iter"] = warmup
    return out


def losses(r: OptionReader, *, l1_target: str, percep_target: str, adversarial: bool) -> list[dict[str, Any]]:
    """``pixel_opt`` / ``perceptual_opt`` / ``gan_opt`` -> the ``losses`` list."""
    out: list[dict[str, Any]] = []
    kind = r.get("train.pixel_opt.type")
    if kind in PIXEL_LOSSES:
        p = "train.pixel_opt"
        loss = {"type": PIXEL_LOSSES[kind], "weight": as_number(r.get(f"{p}.loss_weight", 1.0)),
                "reduction": r.get(f"{p}.reduction", "mean"), "target": l1_target}
        if kind == "CharbonnierLoss":
            loss["eps"] = as_number(r.get(f"{p}.eps", 1e-12))
        out.append(loss)
    elif kind is not None:
        r.drop("train.pixel_opt", f"pixel loss {kind!r} is not built in")
    kind = r.get("train.perceptual_opt.type")
    if kind == "PerceptualLoss":
        p = "train.perceptual_opt"
        loss = {"type": "perceptual", "layer_weights": {k: as_number(v) for k, v in r.get(f"{p}.layer_weights", {}).items()}}
        for name, default in (("vgg_type", "vgg19"), ("use_input_norm", True), ("range_norm", False),
                              ("perceptual_weight", 1.0), ("style_weight", 0.0), ("criterion", "l1")):
            loss[name] = as_number(r.get(f"{p}.{name}", default))
        loss["target"] = percep_target
        out.append(loss)
    elif kind is not None:
        r.drop("train.perceptual_opt", f"perceptual loss {kind!r} is not built in")
    kind = r.get("train.gan_opt.type")
    if kind == "GANLoss" and adversarial:
        p = "train.gan_opt"
        out.append({"type": "gan", "gan_type": r.get(f"{p}.gan_type", "vanilla"),
                    "real_label_val": as_number(r.get(f"{p}.real_label_val", 1.0)),
                    "fake_label_val": as_number(r.get(f"{p}.fake_label_val", 0.0)),
                    "weight": as_number(r.get(f"{p}.loss_weight", 1.0))})
    elif kind is not None:
        r.drop("train.gan_opt", f"GAN loss {kind!r} needs a model with a discriminator" if kind == "GANLoss"
               else f"GAN loss {kind!r} is not built in")
    return out


def train_section(r: OptionReader, *, stage: str, real: bool) -> dict[str, Any]:
    """The stage's ``train`` mapping. ``stage`` is ``esrnet`` or ``esrgan``; ``real``: a Real* model."""
    t: dict[str, Any] = {"total_iter": as_int(r.get("train.total_iter", 1_000_000))}
    t["optim_g"] = optimizer(r, "train.optim_g")
    t["scheduler"] = scheduler(r, t["optim_g"]["lr"])
    t["ema_decay"] = as_number(r.get("train.ema_decay", 0.0))  # BasicSR: no EMA unless set
    if stage == "esrnet":
        t["gt_usm"] = bool(r.get("gt_usm", True)) if real else False
        targets = {"l1_target": "gt", "percep_target": "gt"}
        for key in ("l1_gt_usm", "percep_gt_usm", "gan_gt_usm"):
            r.drop(key, "only RealESRGANModel reads it")
    else:
        flags = {k: bool(r.get(k, d)) if real else False
                 for k, d in (("l1_gt_usm", True), ("percep_gt_usm", True), ("gan_gt_usm", False))}
        t.update({"gt_usm": False, "gan_gt_usm": flags["gan_gt_usm"]})  # l1/percep flags -> loss targets
        targets = {"l1_target": "gt_usm" if flags["l1_gt_usm"] else "gt",
                   "percep_target": "gt_usm" if flags["percep_gt_usm"] else "gt"}
        r.drop("gt_usm", "only RealESRNetModel reads it")
        t["optim_d"] = optimizer(r, "train.optim_d")
        t["net_d_iters"] = as_int(r.get("train.net_d_iters", 1))
        t["net_d_init_iters"] = as_int(r.get("train.net_d_init_iters", 0))
    if stage == "esrnet":
        for key in ("train.optim_d", "train.net_d_iters", "train.net_d_init_iters"):
            r.drop(key, "this model has no discriminator")
    t["losses"] = losses(r, adversarial=stage == "esrgan", **targets)
    return t
