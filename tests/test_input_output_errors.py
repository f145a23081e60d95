"""Wrong or lossy input is said once, never silently accepted; leftovers of killed writes go away."""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from esrgan_core.cli import main
from esrgan_core.images import read_image
from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams
from tests.upscale_nets import seeded


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    net = seeded(SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=2)), seed=0, std=0.05)
    torch.save({"params": net.state_dict()}, tmp_path / "tiny.pth")
    return tmp_path / "tiny.pth"


@pytest.fixture()
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "p.png"
    path.parent.mkdir()
    cv2.imwrite(str(path), np.tile(np.arange(0, 240, 10, dtype=np.uint8)[None, :, None], (16, 1, 3)))
    return path


def _png_with_bad_text_crc(path: Path) -> Path:
    """A valid PNG whose ancillary tEXt chunk has a wrong CRC: libpng warns on stderr and decodes it."""
    ok, buf = cv2.imencode(".png", np.full((8, 8, 3), 100, np.uint8))
    raw, end_of_ihdr = buf.tobytes(), 8 + 8 + 13 + 4
    data = b"Comment\x00hello"
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", 0xDEADBEEF)
    path.write_bytes(raw[:end_of_ihdr] + chunk + raw[end_of_ihdr:])
    return path


def _warnings(caplog, file: Path) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and str(file) in r.getMessage()]


def test_native_decoder_warnings_are_captured_and_reported_once_per_file(tmp_path, capfd, caplog):
    path = _png_with_bad_text_crc(tmp_path / "crc.png")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # e.g. three epochs
            assert read_image(path).pixels.shape == (8, 8, 3)
    assert "libpng" not in capfd.readouterr().err
    found = _warnings(caplog, path)
    assert len(found) == 1 and "libpng warning: tEXt: CRC error" in found[0]


@pytest.mark.parametrize("ext", [".webp", ".png", ".tif"])
def test_animated_or_multi_page_input_warns_once_that_only_the_first_frame_is_used(tmp_path, ext, caplog):
    from PIL import Image

    frames = [Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)) for i in range(3)]
    path = tmp_path / f"anim{ext}"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with caplog.at_level(logging.WARNING):
        first = [read_image(path) for _ in range(2)][0]
    assert np.allclose(first.pixels, 0.0)
    found = _warnings(caplog, path)
    assert len(found) == 1 and "3 frames" in found[0] and "only the first" in found[0]


def test_float_tiff_outside_unit_range_warns_once_about_clipping(tmp_path, caplog):
    path = tmp_path / "f.tif"
    cv2.imwrite(str(path), np.array([[[-0.5, 0.5, 2.0]] * 4] * 4, np.float32))
    with caplog.at_level(logging.WARNING):
        pixels = [read_image(path).pixels for _ in range(2)][0]
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    found = _warnings(caplog, path)
    assert len(found) == 1 and "[-0.5, 2]" in found[0] and "clipped" in found[0]


def test_output_in_an_unwritable_image_format_is_an_error_not_a_folder(tmp_path, photo, model, capsys):
    assert main(["upscale", "-i", str(photo), "-o", str(tmp_path / "x.gif"), "-m", str(model)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "output" in err[0] and ".gif" in err[0]
    assert not (tmp_path / "x.gif").exists()


def test_output_file_name_with_several_inputs_is_an_error(tmp_path, photo, model, capsys):
    cv2.imwrite(str(photo.with_name("q.png")), cv2.imread(str(photo)))
    assert main(["upscale", "-i", str(photo.parent), "-o", str(tmp_path / "x.png"), "-m", str(model)]) == 2
    assert "several inputs" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_single_input_with_image_file_output_writes_that_file(tmp_path, photo, model):
    assert main(["upscale", "-i", str(photo), "-o", str(tmp_path / "x.png"), "-m", str(model), "--no-progress"]) == 0
    assert read_image(tmp_path / "x.png").pixels.shape == (32, 48, 3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_cuda_without_cuda_is_one_line_exit_2(photo, model, tmp_path, capsys):
    assert main(["upscale", "-i", str(photo), "-o", str(tmp_path / "o"), "-m", str(model), "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CUDA is not available" in err[0]


def test_leftover_temp_files_of_a_killed_write_are_removed_by_the_next_upscale(tmp_path, photo, model):
    out = tmp_path / "o"
    out.mkdir()
    dead = out / ".tmp-p_out-abc123.png"  # old name form, no pid
    dead_pid = out / f".tmp-{2**22 + 12345}-p_out-x1.png"  # beyond pid_max: no such process
    live = out / f".tmp-{os.getpid()}-other-x2.png"  # a writer that is still running
    for p in (dead, dead_pid, live):
        p.write_bytes(b"partial")
    assert main(["upscale", "-i", str(photo.parent), "-o", str(out), "-m", str(model), "--no-progress"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([live.name, "p_out.png"])


def test_leftover_temp_files_in_a_run_folder_are_removed_when_the_run_starts(tmp_path):
    from esrgan_core.atomic import clean_stale_temps
    from esrgan_core.training.run import prepare_run_dir
    from tests.train_support import context, tiny_config

    run = context(tiny_config(tmp_path / "exp", stages="esrnet")).config.params
    models = tmp_path / "exp" / "tiny" / "esrnet" / "models"
    models.mkdir(parents=True)
    (models / ".tmp-net_g_4-zz.pth").write_bytes(b"partial")
    (models / "net_g_2.pth").write_bytes(b"kept")
    prepare_run_dir(run, fresh=False)
    assert [p.name for p in models.iterdir()] == ["net_g_2.pth"]
    assert clean_stale_temps(models) == []


def test_long_messages_are_cut_to_one_readable_line_and_debug_shows_them_whole(tmp_path, capsys):
    cfg = tmp_path / "long.yml"
    cfg.write_text("name: a/" + "x" * 6000 + "\nstages: [{type: esrnet, network_g: rrdbnet}]\n"
                   "datasets: {train: {dataset: skimage_photos}}\n")
    assert main(["validate", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and len(err[0]) <= 410 and "more characters" in err[0]
    with pytest.raises(Exception, match="x" * 5000):
        main(["validate", str(cfg), "--debug"])


def test_plugin_that_cannot_load_is_bad_input_exit_2(tmp_path, capsys):
    cfg = tmp_path / "p.yml"
    cfg.write_text("plugins: [no_such_plugin_module_xyz]\nname: run\n")
    assert main(["validate", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_plugin_module_xyz" in err[0]
