"""esrgan_core.testing, the plugin-author helpers: the contract check passes the example plugin and
names the component and the broken rule for plugins that break a contract."""

from __future__ import annotations

import attrs
import pytest
import torch
from torch import nn

from esrgan_core import testing
from esrgan_core.hookspecs import hookimpl


def test_example_plugin_components_pass_the_contract_check(example_plugin):
    host = testing.plugin_host(modules=[("example", example_plugin)])
    assert testing.check_components(host, "example") == ["degradations/color_cast", "losses/total_variation"]


class _UnseededStage:
    """Draws from torch's global RNG instead of the generator it is given."""

    def __init__(self, params) -> None:
        pass

    def __call__(self, batch, generator):
        batch.lq = (batch.lq + 0.01 * torch.rand(batch.lq.shape)).clamp(0, 1)
        return batch


class _BrightStage(_UnseededStage):
    def __call__(self, batch, generator):
        batch.lq = batch.lq + 2.0  # leaves [0, 1]
        return batch


@attrs.frozen
class _LossParams:
    weight: float = 1.0


@attrs.frozen
class _NoParams:
    pass


class _UnknownInputLoss(nn.Module):
    inputs = ("sr", "depth")
    adversarial = False

    def __init__(self, params) -> None:
        super().__init__()
        self.weight = params.weight

    def forward(self, **tensors):
        return {"l_depth": tensors["sr"].mean()}


class _VectorLoss(_UnknownInputLoss):
    inputs = ("sr", "gt")

    def forward(self, **tensors):
        return {"l_vec": (tensors["sr"] - tensors["gt"]).abs().mean(dim=(1, 2, 3))}  # per sample, not a scalar


class _WrongScaleNet(nn.Module):
    def __init__(self, params) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(x)  # x1, while describe() says x2

    @staticmethod
    def describe(params):
        return {"scale": 2, "in_channels": 3, "out_channels": 3}


def _plugin(kind: str, name: str, factory: object, params: type) -> object:
    class Plugin:
        pass

    @hookimpl
    def hook(register):
        register(name, factory, params)

    hook.__name__ = f"register_{kind}"
    setattr(Plugin, hook.__name__, staticmethod(hook))
    return Plugin


@pytest.mark.parametrize(("kind", "name", "factory", "params", "message"), [
    ("degradations", "unseeded", _UnseededStage, _NoParams, "stage 'unseeded' is not reproducible"),
    ("degradations", "bright", _BrightStage, _NoParams, "stage 'bright': lq must stay RGB float in [0, 1]"),
    ("losses", "depth", _UnknownInputLoss, _LossParams, "loss 'depth' reads ['depth'], which no trainer provides"),
    ("losses", "vec", _VectorLoss, _LossParams, "loss 'vec': term 'l_vec' must be a finite scalar tensor"),
    ("networks", "x1", _WrongScaleNet, _NoParams, "network 'x1': output (1, 3, 16, 16), describe() says (1, 3, 32, 32)"),
])
def test_contract_check_names_the_component_and_the_broken_rule(kind, name, factory, params, message):
    host = testing.plugin_host(modules=[("broken", _plugin(kind, name, factory, params))])
    with pytest.raises(AssertionError) as failure:
        testing.check_components(host, "broken")
    assert str(failure.value).startswith(message)


def test_a_plugin_that_registers_nothing_is_reported(example_plugin):
    host = testing.plugin_host(modules=[("empty", _plugin("losses", "unused", _VectorLoss, _LossParams))])
    with pytest.raises(AssertionError, match="plugin 'example' registered nothing"):
        testing.check_components(host, "example")


def test_tiny_config_is_a_valid_train_config_with_the_extra_stage_and_loss(tmp_path):
    from esrgan_core.config import build_config

    data = testing.tiny_config(tmp_path, stages=[{"type": "jpeg"}], losses=[{"type": "l1", "weight": 0.5}])
    cfg, _ = build_config(data)
    assert cfg.task == "train"
    assert [s.type for s in cfg.params.degradation.stages] == ["blur", "resize", "noise", "jpeg"]
    assert [spec.type for spec in cfg.params.stages[0].params.train.losses] == ["l1", "l1"]
