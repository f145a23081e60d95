"""The code of docs/write-a-plugin.md §5-§6 (a trainer from pretrained weights, a task that degrades
images) runs as printed: extracted from the page, registered as a plugin, used through the real tasks."""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from esrgan_core.config import build_config
from esrgan_core.context import run_config
from esrgan_core.errors import ConfigError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.images import from_tensor01, read_rgb01, to_tensor01
from esrgan_core.modelfiles.writers import save_pth
from esrgan_core.photos import load_ref
from esrgan_core.plugins import load_plugins
from esrgan_core.seeding import make_generator
from esrgan_core.training.run import run_training
from tests import core_only_plugin
from tests.core_only_plugin.components import TinyNet, TinyNetParams
from tests.train_support import context, tiny_config

PAGE = Path(__file__).resolve().parents[1] / "docs" / "write-a-plugin.md"


def _page_plugin() -> types.ModuleType:
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## 5. A trainer"):text.index("## 7. Use it")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 3 and "class Finetune" in blocks[0] and "def degrade(" in blocks[1]
    imports = [line for block in blocks for line in block.splitlines()
               if line.startswith(("import ", "from ")) and not line.startswith("from esrgan_core")]
    assert all(line.split()[1].split(".")[0] in ("attrs", "torch", "copy", "math") for line in imports)
    module = types.ModuleType("write_a_plugin_page")
    source = "from esrgan_core.hookspecs import hookimpl\n" + "\n".join(blocks)
    exec(compile(source, str(PAGE), "exec", dont_inherit=True), module.__dict__)  # as printed: no __future__ import

    @hookimpl
    def register_trainers(register):
        register("finetune", module.Finetune, params=module.FinetuneParams)

    module.register_trainers = register_trainers
    return module


def _host(plugin: types.ModuleType):
    return lambda mods: load_plugins(mods, extra_plugins=[("page", plugin)])


def test_the_pages_task_degrades_each_image_under_its_own_seed(tmp_path: Path) -> None:
    plugin = _page_plugin()
    stages = [{"type": "blur", "kernel_size": [7, 21], "sigma": [0.2, 3]}, {"type": "resize", "to": "lr", "prob": [0, 0, 1]}]
    data = {"task": "degrade", "images": ["skimage:coffee", "skimage:rocket"], "recipe": stages, "scale": 4, "seed": 5,
            "output": str(tmp_path / "deg")}
    cfg, host = build_config(data, host_factory=_host(plugin))
    assert run_config(cfg, host) == 0
    assert sorted(p.name for p in (tmp_path / "deg").iterdir()) == ["coffee.png", "rocket.png"]
    pipeline = plugin.Pipeline.from_dicts(stages, host.registries)
    for i, name in enumerate(("coffee", "rocket")):  # 400x600 and 427x640: cut to multiples of 4, seeds (5, i)
        hr = to_tensor01(load_ref(f"skimage:{name}"))
        lq = pipeline(hr[..., : hr.shape[-2] // 4 * 4, : hr.shape[-1] // 4 * 4], make_generator(5, i), 4).lq
        got = np.round(read_rgb01(tmp_path / "deg" / f"{name}.png") * 255)
        assert np.array_equal(got, np.round(from_tensor01(lq) * 255))
    data.update(recipe="realesrgan_x4plus", scale=2)
    with pytest.raises(ConfigError, match="is for scale 4"):
        run_config(*build_config(data, host_factory=_host(plugin)))


def test_the_pages_trainer_starts_from_the_pretrained_file_and_trains(tmp_path: Path) -> None:
    plugin = _page_plugin()
    torch.manual_seed(0)
    pretrained = TinyNet(TinyNetParams()).state_dict()
    save_pth(tmp_path / "pre.pth", pretrained, params_ema=pretrained)
    data = tiny_config(tmp_path, stages="esrnet", queue_size=0)
    data["stages"] = [{"type": "finetune", "name": "ft", "total_iter": 2, "network_g": {"type": "tiny_net"},
                       "losses": [{"type": "l1"}], "pretrain_network_g": str(tmp_path / "pre.pth")}]
    ctx = context(data, extra_plugins=(("page", plugin), ("core_only", core_only_plugin)))
    assert run_training(ctx.config.params, ctx) == 0
    log = (tmp_path / "tiny" / "ft" / "logs" / "train.log").read_text(encoding="utf-8")
    assert f"network_g: loaded 4/4 tensors from {tmp_path / 'pre.pth'}" in log
    ckpt = torch.load(tmp_path / "tiny" / "ft" / "models" / "net_g_latest.pth", weights_only=True)
    moved = [k for k in pretrained if not torch.equal(ckpt["params"][k], pretrained[k])]
    assert moved and all((ckpt["params"][k] - pretrained[k]).abs().max() < 0.05 for k in pretrained)  # 2 Adam steps of 1e-4
