"""Bad input for the spandrel architectures: one line naming the key or file, exit 2, before training."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from esrgan_core.cli import main
from esrgan_core.modelfiles.writers import save_pth
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.test_archs import arch_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEMPLATES = ("span_x4", "span_x2", "realplksr_x4", "realplksr_x2", "compact_x4", "compact_x2", "finetune_x4")


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in lines[0], lines
    return lines[0]


def test_architecture_templates_validate(capsys: pytest.CaptureFixture[str]) -> None:
    """Valid configs; on a machine without DF2K, the VGG19 weights and a model to finetune, the
    preflight names exactly those missing files (and nothing else)."""
    allowed = ("does not exist", "no such file", "is not on this machine")
    for name in TEMPLATES:
        capsys.readouterr()
        assert main(["validate", str(CONFIGS / f"{name}.yml")]) == 2, name
        lines = capsys.readouterr().err.strip().splitlines()
        assert any("datasets.train.dataset.dataroot: folder" in line for line in lines), lines
        assert all(line.startswith(f"error: {CONFIGS / name}.yml:") and any(a in line for a in allowed) for line in lines), lines


@pytest.mark.parametrize(("override", "expected"), [
    ("stages[0].network_g.type=spann", "stages[0].network_g.type: unknown network type 'spann' (did you mean 'span'?)"),
    ("stages[0].network_g.feature_chanels=32", "did you mean 'feature_channels'?); expected one of: feature_channels, norm,"),
    ("stages[0].network_g.preset=xl", "stages[0].network_g.preset: expected one of 'base', 's', got 'xl'"),
])
def test_bad_arch_options_are_one_line_config_errors(capsys: pytest.CaptureFixture[str], override: str, expected: str) -> None:
    assert main(["validate", str(CONFIGS / "span_x4.yml"), "--set", override]) == 2
    assert expected in _one_line(capsys)


def test_scale_the_architecture_cannot_do_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["validate", str(CONFIGS / "span_x4.yml"), "--set", "stages[0].network_g={type: realcugan, scale: 1}"]
    assert main(args) == 2
    assert "stages[0].network_g.scale: this architecture supports scale 2, 3, 4, got 1" in _one_line(capsys)


def test_fp16_on_an_unsafe_architecture_is_refused_and_bf16_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = arch_config(tmp_path, "dat")
    cfg = tmp_path / "cfg.yml"
    cfg.write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)
    fp16 = ["--set", "stages[0].train.mixed_precision=fp16", "--set", "stages[1].train.mixed_precision=fp16"]
    assert main(["validate", str(cfg), *fp16]) == 2
    assert "stages[0].train.mixed_precision: dat is unsafe in fp16 (it overflows); use bf16 or no" in _one_line(capsys)
    assert main(["validate", str(cfg), *(a.replace("fp16", "bf16") for a in fp16)]) == 0


def test_pretrained_file_of_another_architecture_stops_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "compact_x2.pth"
    save_pth(other, SRVGGNetCompact(SRVGGParams(upscale=2, num_feat=8, num_conv=2)).state_dict())
    data = arch_config(tmp_path, "span")
    data["stages"][0]["path"] = {"pretrain_network_g": str(other)}
    cfg = tmp_path / "cfg.yml"
    cfg.write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)
    assert main([str(cfg)]) == 2
    line = _one_line(capsys)
    assert str(other) in line and "does not fit network_g" in line
    assert not list(tmp_path.glob("**/models/*.pth"))
