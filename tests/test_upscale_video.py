"""Video upscaling end to end (``esrgan-run upscale`` on synthetic videos made here with PyAV).

The model is a tiny x4 SRVGGNetCompact with seeded random weights (tests.video_support.tiny_x4_model).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from esrgan_core.cli import main
from esrgan_core.images import Image
from esrgan_core.modelfiles.loader import load_model
from esrgan_core.upscaling.engine import Upscaler
from tests.video_support import av, frames, make_video, packets, psnr, tiny_x4_model


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    return tiny_x4_model(tmp_path / "models" / "tiny4.pth")


def _run(*args: str) -> int:
    return main(["upscale", *args, "--no-progress"])


def _image_path_result(model: Path, rgb_u8: np.ndarray, pix_fmt: str = "yuv420p", **options) -> np.ndarray:
    """What the image path makes of one decoded frame, as ``pix_fmt`` holds it: HWC RGB uint8."""
    up = Upscaler.from_loaded(load_model(str(model)), device="cpu", **options)
    out = up.upscale_image(Image(pixels=rgb_u8.astype(np.float32) / 255, mode="RGB", bit_depth=8))
    rgb = av.VideoFrame.from_ndarray(np.round(out * 255).astype(np.uint8), format="rgb24")
    return rgb.reformat(format=pix_fmt).reformat(format="rgb24").to_ndarray()


@pytest.mark.parametrize("tile", [0, 16])
def test_video_keeps_frames_timestamps_audio_and_equals_the_image_path(tmp_path, model, tile):
    src = tmp_path / "clip.mkv"
    make_video(src, codec="ffv1", pix_fmt="yuv420p", audio="flac", subtitles=True)
    code = _run("-i", str(src), "-o", str(tmp_path / "out"), "-m", str(model), "--tile", str(tile),
                "--tile-overlap", "4", "--segment-frames", "8", "--frame-batch", "3")
    assert code == 0
    dst = tmp_path / "out" / "clip_out.mkv"
    got, want = frames(dst), frames(src)
    assert [t for t, _ in got] == [t for t, _ in want]
    assert len(got) == 30 and got[0][1].shape == (96, 128, 3)
    assert packets(dst, "audio") == packets(src, "audio")
    assert len(packets(src, "subtitle")) == 2 and packets(dst, "subtitle") == packets(src, "subtitle")
    with av.open(str(dst)) as c:
        assert c.streams.video[0].codec_context.name == "ffv1"
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    worst = min(psnr(out, _image_path_result(model, inp, tile=tile, tile_overlap=4)) for (_, inp), (_, out) in zip(want, got))
    assert worst > 45  # the codec is lossless; what differs is float rounding before 8-bit quantisation
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["clip_out.mkv"]


def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, model, caplog):
    from esrgan_core.schema import from_dict
    from esrgan_plugins.upscale.batch import build_upscaler
    from esrgan_plugins.upscale.params import UpscaleParams
    from esrgan_plugins.upscale.video import upscale_video
    from esrgan_plugins.upscale.video_parts import parts_folder

    src = tmp_path / "clip.mp4"
    make_video(src, codec="libx264", audio="aac")
    opts = ["-m", str(model), "--segment-frames", "8", "--frame-batch", "3", "--crf", "20", "--preset", "veryfast"]
    assert _run("-i", str(src), "-o", str(tmp_path / "full"), *opts) == 0
    full = tmp_path / "full" / "clip_out.mp4"

    dst = tmp_path / "part" / "clip_out.mp4"
    params = from_dict(UpscaleParams, {"input": str(src), "output": str(dst.parent), "model": str(model), "segment_frames": 8,
                                       "frame_batch": 3, "crf": 20, "preset": "veryfast", "progress": False})
    up, desc = build_upscaler(params)

    def stop_after_13(n: int) -> None:
        if n >= 13:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upscale_video(up, src, dst, params, size_multiple=desc.size_multiple, on_frames=stop_after_13)
    assert not dst.exists()
    kept = sorted(p.name for p in parts_folder(dst).iterdir() if not p.name.startswith("."))
    assert kept == ["manifest.json", "seg-000000.nut"]

    with caplog.at_level(logging.INFO):
        assert _run("-i", str(src), "-o", str(dst.parent), *opts) == 0
    assert "resuming after 8 frame(s)" in caplog.text
    assert not parts_folder(dst).exists()
    got, want = frames(dst), frames(full)
    assert [t for t, _ in got] == [t for t, _ in want] == [t for t, _ in frames(src)]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, want))
    assert packets(dst, "video") == packets(full, "video")
    assert packets(dst, "audio") == packets(src, "audio")


def test_changed_settings_discard_the_partial(tmp_path, model, caplog):
    from esrgan_plugins.upscale.video_parts import Parts, parts_folder

    src = tmp_path / "clip.mkv"
    make_video(src, n=12)
    dst = tmp_path / "out" / "clip_out.mkv"
    stale = Parts(dst, {"made": "elsewhere"}, 8)
    stale.temp_path(0).write_bytes(b"not a segment")
    stale.commit(0, 8)
    with caplog.at_level(logging.WARNING):
        assert _run("-i", str(src), "-o", str(dst.parent), "-m", str(model), "--segment-frames", "8") == 0
    assert "starting over" in caplog.text
    assert len(frames(dst)) == 12 and not parts_folder(dst).exists()


def test_bad_videos_in_a_folder_get_one_error_each_and_the_good_ones_are_written(tmp_path, model, caplog):
    import cv2

    folder = tmp_path / "in"
    folder.mkdir()
    make_video(folder / "good.mp4", codec="libx264", audio="aac")
    make_video(folder / "whole.mkv", n=20)
    data = (folder / "whole.mkv").read_bytes()
    (folder / "truncated.mkv").write_bytes(data[: len(data) // 2])
    (folder / "whole.mkv").unlink()
    data = (folder / "good.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (folder / "notes.mp4").write_text("this is text, not a video\n")
    with av.open(str(folder / "sound.mkv"), "w") as c:  # audio only
        a = c.add_stream("flac", rate=8000, layout="mono")
        f = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        f.sample_rate, f.pts = 8000, 0
        c.mux(a.encode(f))
        c.mux(a.encode(None))
    cv2.imwrite(str(folder / "still.png"), np.full((12, 10, 3), 128, np.uint8))
    with caplog.at_level(logging.INFO):
        code = _run("-i", str(folder), "-o", str(tmp_path / "out"), "-m", str(model))
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_out.mp4", "still_out.png"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 4, errors
    assert all(len(e.splitlines()) == 1 for e in errors)
    for name in ("truncated.mkv", "truncated.mp4", "notes.mp4", "sound.mkv"):
        assert sum(name in e for e in errors) == 1, (name, errors)
    assert any("truncated.mkv" in e and "stream #0" in e and "truncated" in e for e in errors)
    assert any("sound.mkv" in e and "no video stream" in e for e in errors)
    assert len(frames(tmp_path / "out" / "good_out.mp4")) == 30


def test_codec_the_container_cannot_hold_and_odd_sizes_fail_before_any_work(tmp_path, model, caplog):
    src = tmp_path / "clip.webm"
    make_video(src, codec="libvpx-vp9", audio="libopus", size=(30, 22), n=6)
    with caplog.at_level(logging.ERROR):
        assert _run("-i", str(src), "-o", str(tmp_path / "a"), "-m", str(model), "--codec", "libx264") == 1
        assert _run("-i", str(src), "-o", str(tmp_path / "b"), "-m", str(model), "--outscale", "2.5") == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "clip.webm" in errors[0] and "libx264" in errors[0] and ".webm" in errors[0]
    assert "75x55" in errors[1] and "even" in errors[1]
    for folder in ("a", "b"):
        assert not (tmp_path / folder).exists() or not any((tmp_path / folder).iterdir())


def test_fps_override_retimes_every_frame(tmp_path, model):
    src = tmp_path / "clip.mkv"
    make_video(src, n=10, audio=None)
    assert _run("-i", str(src), "-o", str(tmp_path / "out"), "-m", str(model), "--fps", "10") == 0
    got = frames(tmp_path / "out" / "clip_out.mkv")
    assert [float(t) for t, _ in got] == pytest.approx([i / 10 for i in range(10)])


def test_ten_bit_full_range_bt709_and_rotation_are_carried(tmp_path, model):
    src = tmp_path / "clip.mkv"
    make_video(src, pix_fmt="yuv420p10le", audio=None, n=6, rotation=90, color_range=2, colorspace=1)
    assert _run("-i", str(src), "-o", str(tmp_path / "x264"), "-m", str(model), "--codec", "libx264", "--crf", "0") == 0
    with av.open(str(tmp_path / "x264" / "clip_out.mkv")) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.name, cc.pix_fmt, cc.color_range, cc.colorspace) == ("h264", "yuv420p10le", 2, 1)
        assert next(c.decode(video=0)).rotation == 90
    assert _run("-i", str(src), "-o", str(tmp_path / "ffv1"), "-m", str(model)) == 0  # default: the input's codec
    got, want = frames(tmp_path / "ffv1" / "clip_out.mkv", "rgb48le"), frames(src, "rgb48le")
    assert len(got) == 6 and got[0][1].dtype == np.uint16
    up = Upscaler.from_loaded(load_model(str(model)), device="cpu")
    for (_, inp), (_, out) in zip(want, got):
        expected = up.upscale_image(Image(pixels=inp.astype(np.float32) / 65535, mode="RGB", bit_depth=16))
        rgb = av.VideoFrame.from_ndarray(np.round(expected * 65535).astype(np.uint16), format="rgb48le")
        rgb.colorspace = 1
        stored = rgb.reformat(format="yuv420p10le", dst_color_range=2)
        back = stored.reformat(format="rgb48le", src_color_range=2).to_ndarray()
        assert psnr(out, back, peak=65535) > 50


def test_config_task_with_a_glob_of_images_and_videos(tmp_path, model):
    import cv2

    from esrgan_core.config import build_config
    from esrgan_core.context import run_config

    make_video(tmp_path / "clip.mkv", n=5, audio=None)
    cv2.imwrite(str(tmp_path / "still.png"), np.full((12, 10, 3), 90, np.uint8))
    (tmp_path / "notes.txt").write_text("not an input\n")
    data = {"task": "upscale", "input": str(tmp_path / "*"), "output": str(tmp_path / "o"), "model": str(model),
            "codec": "libx264", "crf": 18, "preset": "ultrafast", "segment_frames": 2, "progress": False}
    cfg, host = build_config(data)
    assert run_config(cfg, host) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["clip_out.mkv", "still_out.png"]
    with av.open(str(tmp_path / "o" / "clip_out.mkv")) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    assert len(frames(tmp_path / "o" / "clip_out.mkv")) == 5


@pytest.mark.slow
def test_sigint_to_the_command_leaves_a_partial_that_the_same_command_finishes(tmp_path, model):
    import os
    import signal
    import subprocess
    import sys
    import time

    from esrgan_plugins.upscale.video_parts import MANIFEST, parts_folder

    src = tmp_path / "clip.mkv"
    make_video(src, size=(96, 72), n=60, pts=[i * 40 for i in range(60)])
    args = ["-i", str(src), "-m", str(model), "--segment-frames", "2", "--frame-batch", "1"]
    assert _run(*args, "-o", str(tmp_path / "full")) == 0
    dst = tmp_path / "out" / "clip_out.mkv"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "esrgan_core.cli", "upscale", *args, "-o", str(dst.parent), "--no-progress"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (parts_folder(dst) / MANIFEST).exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "run the same command again" in err
    assert not dst.exists() and (parts_folder(dst) / MANIFEST).exists()
    assert _run(*args, "-o", str(dst.parent)) == 0
    got, want = frames(dst), frames(tmp_path / "full" / "clip_out.mkv")
    assert len(got) == 60 and [t for t, _ in got] == [t for t, _ in want]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, want))


def test_realesr_animevideov3_on_a_tiny_clip(tmp_path, monkeypatch):
    monkeypatch.setenv("ESRGAN_CACHE_DIR", str(tmp_path / "cache"))  # the built-in model converts from local files
    src = tmp_path / "clip.mp4"
    pts = make_video(src, codec="libx264", audio="aac", n=6)
    assert _run("-i", str(src), "-o", str(tmp_path / "out"), "-m", "realesr-animevideov3") == 0
    got = frames(tmp_path / "out" / "clip_out.mp4")
    assert [t * 1000 for t, _ in got] == pts and got[0][1].shape == (96, 128, 3)
