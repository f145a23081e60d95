"""A video through the Upscale view's API: its frames and timestamps equal ``esrgan-run upscale``'s."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import needs_extra

needs_extra("ui", "starlette")
needs_extra("ui", "uvicorn")

from esrgan_core.cli import main  # noqa: E402
from tests.video_support import frames, make_video, tiny_x4_model  # noqa: E402
from tests.webui_support import call, running_server, wait_job  # noqa: E402


@pytest.mark.slow
def test_video_upscale_equals_the_cli_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    model = tiny_x4_model(root / "models" / "tiny.pth")
    clip = tmp_path / "clip.mkv"
    make_video(clip, codec="ffv1", pix_fmt="yuv420p", size=(16, 12))
    assert main(["upscale", "-i", str(clip), "-o", str(tmp_path / "cli"), "-m", str(model), "--no-progress"]) == 0
    with running_server(root) as base:
        status, up = call(f"{base}/api/upload?name=clip.mkv", clip.read_bytes())
        assert status == 200 and up["kind"] == "video"
        _, info = call(f"{base}/api/info")
        assert {"id": "file:models/tiny.pth", "label": "models/tiny.pth", "group": "files under the root"} in info["models"]
        status, job = call(f"{base}/api/upscale", {"uploads": [up["id"]], "model": "file:models/tiny.pth",
                                                    "options": {"segment_frames": "8"}})
        assert status == 400 and "unknown option 'segment_frames'" in job["error"]  # not offered: the page's default applies
        status, job = call(f"{base}/api/upscale", {"uploads": [up["id"]], "model": "file:models/tiny.pth"})
        job = wait_job(base, job["id"])
        (f,) = job["result"]["files"]
        assert f["output"] == "clip_out.mkv" and f["kind"] == "video"
        status, got = call(f"{base}{f['url']}")
    assert status == 200
    web = tmp_path / "web.mkv"
    web.write_bytes(got)  # Matroska files carry a random segment id: compare the decoded frames and their times
    ours, theirs = frames(web), frames(tmp_path / "cli" / "clip_out.mkv")
    assert len(ours) == len(theirs) == 30
    assert all(ta == tb and np.array_equal(a, b) for (ta, a), (tb, b) in zip(ours, theirs))
