"""The web app's HTTP API on a real server: confinement to the root, upload limits, one-line errors,
queued jobs, and upscale results equal to ``esrgan-run upscale``'s bytes."""

from __future__ import annotations

import io
import os
import struct
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.conftest import needs_extra

needs_extra("ui", "starlette")
needs_extra("ui", "uvicorn")

from esrgan_core.cli import main  # noqa: E402
from esrgan_plugins.webui.command import configure, is_loopback  # noqa: E402
from esrgan_plugins.webui.uploads import Limits  # noqa: E402
from tests.webui_support import call, running_server, wait_job, write_photo  # noqa: E402

MODEL = "realesr-animevideov3"


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A root with one file inside and, beside it, a secret that links inside the root point to."""
    r = tmp_path / "root"
    (r / "notes").mkdir(parents=True)
    (r / "notes" / "inside.txt").write_text("inside\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    (outside / "model.pth").write_bytes(b"not a model")
    os.symlink(outside / "secret.txt", r / "notes" / "link.txt")
    os.symlink(outside, r / "linkdir")
    return r


def test_paths_outside_the_root_are_refused_and_the_server_keeps_serving(root: Path, tmp_path: Path) -> None:
    with running_server(root) as base:
        attempts = ["../outside/secret.txt", str(tmp_path / "outside" / "secret.txt"), "notes/link.txt",
                    "linkdir/secret.txt", "notes/../../outside/secret.txt", "~/secret.txt"]
        for name in attempts:
            status, body = call(f"{base}/api/file?path={name}")
            assert status == 400 and "refused" in body["error"], (name, body)
            assert isinstance(body, dict)  # a JSON message, never the file
        status, body = call(f"{base}/api/upscale", {"uploads": ["0" * 16], "model": "file:linkdir/model.pth"})
        assert status == 400
        status, body = call(f"{base}/api/run?path=..")
        assert status == 400 and "refused" in body["error"]
        status, body = call(f"{base}/api/file?path=notes/inside.txt")
        assert status == 200 and body == b"inside\n"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` 8-bit RGB pixels and holds none (signature, IHDR, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def test_upload_limits_and_corrupt_images_answer_one_line_and_keep_nothing(root: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    small = write_photo(tmp_path / "small.png", (16, 16))
    big = write_photo(tmp_path / "big.png", (40, 28))  # 1120 pixels: over the limit below
    with running_server(root, work=work, limits=Limits(max_upload_bytes=4000, max_pixels=600)) as base:
        status, body = call(f"{base}/api/upload?name=huge.png", b"\x89PNG" + b"0" * 5000)
        assert status == 400 and "over the upload limit" in body["error"]
        status, body = call(f"{base}/api/upload?name=big.png", big.read_bytes())
        assert status == 400 and body["error"] == "big.png: 40x28 = 1,120 pixels is over the pixel limit of 600 (--max-pixels)"
        status, body = call(f"{base}/api/upload?name=bomb.png", png_header_only(100_000, 100_000))
        assert status == 400 and body["error"] == "bomb.png: far over the pixel limit (a decompression bomb?)"
        status, body = call(f"{base}/api/upload?name=broken.png", small.read_bytes()[:60])
        assert status == 400 and "not a readable image" in body["error"]
        status, body = call(f"{base}/api/upload?name=run.sh", b"#!/bin/sh\n")
        assert status == 400 and "not an accepted file type" in body["error"]
        status, body = call(f"{base}/api/upload?name=../../small.png", small.read_bytes())
        assert status == 200 and body["name"] == "small.png" and (body["width"], body["height"]) == (16, 16)
        assert [p.name for p in (work / "uploads").iterdir()] == [body["id"]]  # the refused ones left nothing
        status, got = call(f"{base}{body['url']}")
        assert got == small.read_bytes()


def test_bad_options_are_refused_before_queueing(root: Path, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "p.png", (12, 10))
    with running_server(root) as base:
        _, up = call(f"{base}/api/upload?name=p.png", photo.read_bytes())
        status, body = call(f"{base}/api/upscale", {"uploads": [up["id"]], "model": f"builtin:{MODEL}", "options": {"tile": "abc"}})
        assert status == 400 and body["error"].startswith("tile:")
        status, body = call(f"{base}/api/upscale", {"uploads": [up["id"]], "model": f"builtin:{MODEL}", "options": {"input": "/etc"}})
        assert status == 400 and "unknown option 'input'" in body["error"]
        status, body = call(f"{base}/api/upscale", {"uploads": [up["id"]], "model": "builtin:nope"})
        assert status == 400 and "unknown built-in model" in body["error"]
        status, body = call(f"{base}/api/jobs/ffffffffffffffff")
        assert status == 400


def test_concurrent_upscales_queue_and_write_the_cli_bytes(root: Path, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "cat.png", (24, 20), seed=1)
    assert main(["upscale", "-i", str(photo), "-o", str(tmp_path / "cli"), "-m", MODEL, "--tile", "16", "--no-progress"]) == 0
    expected = (tmp_path / "cli" / "cat_out.png").read_bytes()
    with running_server(root) as base:
        _, up = call(f"{base}/api/upload?name=cat.png", photo.read_bytes())
        request = {"uploads": [up["id"]], "model": f"builtin:{MODEL}", "options": {"tile": "16"}}
        answers: list = []
        threads = [threading.Thread(target=lambda: answers.append(call(f"{base}/api/upscale", request))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        jobs = sorted((wait_job(base, body["id"]) for status, body in answers), key=lambda j: j["started"])
        assert [j["state"] for j in jobs] == ["done"] * 3, jobs
        for before, after in zip(jobs, jobs[1:]):
            assert after["started"] > before["finished"]  # one at a time, in turn
        for job in jobs:
            (f,) = job["result"]["files"]
            status, got = call(f"{base}{f['url']}")
            assert status == 200 and got == expected
        status, body = call(f"{base}/api/jobs/{jobs[0]['id']}/files/..%2Fin%2Fcat.png")
        assert status != 200
        status, archive = call(f"{base}/api/jobs/{jobs[0]['id']}/zip")
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            assert zf.namelist() == ["cat_out.png"] and zf.read("cat_out.png") == expected


def test_the_page_offers_the_upscale_options_with_the_commands_defaults(root: Path) -> None:
    import attrs

    from esrgan_plugins.upscale.params import UpscaleParams  # a test may look at the plugin it checks against

    defaults = {f.name: f.default for f in attrs.fields(UpscaleParams)}
    with running_server(root) as base:
        status, info = call(f"{base}/api/info")
    assert status == 200
    offered = {f["name"]: f for f in info["options"]}
    assert {"tile", "tile_overlap", "outscale", "precision", "engine"} <= set(offered)
    for name, field in offered.items():
        assert field["default"] == defaults[name], name
    assert offered["precision"]["choices"] == ["auto", "fp32", "fp16", "bf16"]
    assert offered["engine"]["choices"] == ["torch", "onnxruntime", "ncnn"]


def test_cross_site_requests_and_foreign_host_names_are_refused(root: Path, tmp_path: Path) -> None:
    """A page of another site cannot send the custom header without CORS (never allowed), and a DNS
    name rebound onto 127.0.0.1 is not an allowed Host."""
    recipe = {"name": "x", "stages": "- {type: resize, to: lr, prob: [0, 0, 1]}"}
    with running_server(root) as base:
        status, body = call(f"{base}/api/lab/save", recipe, page=False)
        assert status == 403 and "x-esrgan-page" in body["error"]
        status, _ = call(f"{base}/api/runs", headers={"Host": "evil.example:80"})
        assert status == 400
        assert call(f"{base}/api/runs")[0] == 200
    assert not (root / "recipes").exists()


def test_serve_binds_loopback_by_default() -> None:
    import argparse

    p = argparse.ArgumentParser()
    configure(p)
    args = p.parse_args([])
    assert args.host == "127.0.0.1" and is_loopback(args.host) and args.root == "experiments"
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


@pytest.mark.slow
def test_serve_command_starts_on_loopback_and_answers(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "esrgan_core.cli", "serve", "--port", "0", "--root", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "web app on" not in line:
            line = proc.stderr.readline()
            assert line, "serve exited before it listened"
        url = re.search(r"http://([^/]+)/", line)
        assert url and url.group(1).startswith("127.0.0.1:")
        status, info = call(f"http://{url.group(1)}/api/info")
        assert status == 200 and info["root"] == str(tmp_path.resolve())
    finally:
        proc.terminate()
        proc.wait(30)
