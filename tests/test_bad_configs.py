"""The bad-config corpus: every file in tests/bad_configs/ (and every --set variant of _base.yml)
fails ``esrgan-run validate`` with exit 2 and one ``error:`` line per finding, each naming the
file:line (or ``--set``) and the key path; no traceback, and nothing is written (no training).

Each corpus file lists what it must report in ``# expect: TEXT`` lines: one finding per line, in
any order, each containing TEXT (parts separated by `` ... `` must all be in that finding).
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from esrgan_core.cli import main

CORPUS = Path(__file__).parent / "bad_configs"
CASES = sorted(p for p in CORPUS.glob("*.yml") if not p.name.startswith("_"))
SET_VARIANTS = {
    "patch_smaller_than_gt_size": (["datasets.train.dataset.patch_size=16"], ["datasets.train.dataset.patch_size: 16 is smaller"]),
    "even_kernel_size": (["degradation[0].kernel_size=[4, 6]"], ["degradation[0].kernel_size:"]),
    "unknown_param_key": (["stages[0].path.pretrain_network_g=good_g.pth", "stages[0].path.param_key_g=params_nope"],
                          ["stages[0].path.pretrain_network_g:"]),
    "name_escapes": (["name=../../outside"], ["name:"]),
    "gan_weight_zero": (["stages[1].train.losses[1].weight=0"], ["stages[1].train.losses[1].weight:"]),
    "experiments_root_is_file": (["experiments_root=readme.txt"], ["experiments_root:"]),
    "nan_pretrained": (["stages[1].path.pretrain_network_g=nan_g.pth"], ["stages[1].path.pretrain_network_g:"]),
    "unknown_degradation_key": (["degradation[1].too=lr"], ["degradation[1].too: unknown key"]),
}


def _expects(path: Path) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^# expect: (.+)$", path.read_text(), re.M)]


def _tiny_rrdbnet_state() -> dict[str, torch.Tensor]:
    from esrgan_plugins.networks.rrdbnet import RRDBNet, RRDBNetParams

    return RRDBNet(RRDBNetParams(num_feat=8, num_block=1, num_grow_ch=8)).state_dict()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the corpus refers to (relative paths), in a fresh working directory."""
    from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams

    d = tmp_path_factory.mktemp("bad_configs")
    (d / "readme.txt").write_text("not an image, not a folder\n")
    (d / "empty.txt").write_bytes(b"")
    (d / "empty_dir").mkdir()
    (d / "text_dir").mkdir()
    (d / "text_dir" / "notes.txt").write_text("no images here\n")
    (d / "photos").mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(d / "photos" / name), np.full((64, 64, 3), 128, np.uint8))
    (d / "meta_missing.txt").write_text("a.png\nmissing.png\n")
    state = _tiny_rrdbnet_state()
    torch.save({"params": state}, d / "good_g.pth")
    nan = {k: v.clone() for k, v in state.items()}
    nan["conv_first.weight"].view(-1)[0] = float("nan")
    torch.save({"params": nan}, d / "nan_g.pth")
    torch.save({"params": SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2)).state_dict()}, d / "srvgg.pth")
    (d / "garbage.pth").write_bytes(b"this is not a torch file at all" * 4)
    return d


def _run_validate(workdir: Path, monkeypatch, capsys, config: Path, sets: list[str]) -> tuple[int, list[str], str]:
    monkeypatch.chdir(workdir)
    before = sorted(p.name for p in workdir.iterdir())
    args = ["validate", str(config)] + [a for s in sets for a in ("--set", s)]
    code = main(args)
    out = capsys.readouterr()
    assert sorted(p.name for p in workdir.iterdir()) == before, "validate wrote something"
    return code, out.err.strip().splitlines(), out.out + out.err


def _assert_findings(lines: list[str], expects: list[str], where: str) -> None:
    assert len(lines) == len(expects), "\n".join(lines)
    for line in lines:
        assert line.startswith("error: ") and len(line) < 420, line
        assert where in line, line
    for text in expects:
        parts = text.split(" ... ")
        assert any(all(p in line for p in parts) for line in lines), f"{text!r} not in:\n" + "\n".join(lines)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) + len(SET_VARIANTS) >= 40
    assert all(_expects(p) for p in CASES)


@pytest.mark.parametrize("config", CASES, ids=[p.stem for p in CASES])
def test_bad_config_is_refused_with_one_line_per_finding(config: Path, workdir, monkeypatch, capsys) -> None:
    code, lines, everything = _run_validate(workdir, monkeypatch, capsys, config, [])
    assert code == 2
    assert "Traceback" not in everything
    _assert_findings(lines, _expects(config), f"{config}:")
    assert all(re.search(rf"{re.escape(str(config))}:\d+: ", line) for line in lines), lines


@pytest.mark.parametrize("name", sorted(SET_VARIANTS))
def test_bad_set_override_is_refused_naming_set(name: str, workdir, monkeypatch, capsys) -> None:
    sets, expects = SET_VARIANTS[name]
    code, lines, everything = _run_validate(workdir, monkeypatch, capsys, CORPUS / "_base.yml", sets)
    assert code == 2
    assert "Traceback" not in everything
    _assert_findings(lines, expects, "--set")


def test_base_config_of_the_variants_is_valid(workdir, monkeypatch, capsys) -> None:
    code, _, everything = _run_validate(workdir, monkeypatch, capsys, CORPUS / "_base.yml", [])
    assert code == 0, everything
