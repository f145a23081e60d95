"""The web app on 127.0.0.1 and a free port, in a thread, stopped by the test (tests/test_webui*.py)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import cv2
import numpy as np


@contextlib.contextmanager
def running_server(root: Path, **app_options: Any) -> Iterator[str]:
    """Serve ``root``; yields the base URL; the server is stopped and its thread joined on exit."""
    import uvicorn

    from esrgan_plugins.webui.app import build_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(root, **app_options), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def call(url: str, data: bytes | dict | None = None, method: str | None = None, page: bool = True,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, parsed JSON or raw bytes) of one request (as the page sends it unless ``page`` is
    false); HTTP errors are returned, not raised."""
    body = json.dumps(data).encode() if isinstance(data, dict) else data
    req = urllib.request.Request(url, data=body, method=method or ("POST" if data is not None else "GET"))
    if isinstance(data, dict):
        req.add_header("Content-Type", "application/json")
    if req.get_method() == "POST" and page:
        req.add_header("X-Esrgan-Page", "1")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            status, raw, kind = resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        status, raw, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "")
    return status, json.loads(raw) if "json" in kind else raw


def wait_job(base: str, job_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, job = call(f"{base}/api/jobs/{job_id}")
        assert status == 200, job
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def write_photo(path: Path, size: tuple[int, int] = (40, 28), seed: int = 0) -> Path:
    """A small smooth RGB PNG (``size`` = width, height) with a little texture."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 255 / w, yy * 255 / h, (xx + yy) * 127 / (w + h)], axis=2) + rng.normal(0, 8, (h, w, 3))
    cv2.imwrite(str(path), np.clip(img, 0, 255).astype(np.uint8))
    return path


def tiny_finished_run(root: Path) -> Path:
    """A real, finished one-stage run under ``root`` (``esrgan-run CONFIG``: 2 iterations of a tiny
    RRDBNet, validation at 1 and 2 with images, a compare image); returns the run folder."""
    import yaml

    from esrgan_core.cli import main
    from tests.train_support import tiny_config

    data = tiny_config(root, stages="esrnet", iters=(2, 0))
    data["datasets"]["val"] = {"dataset": {"type": "skimage_photos", "only": ["astronaut"], "patch_size": 64, "use_hflip": False}}
    data["val"] = {"val_freq": 1}
    data["compare"] = {"images": ["skimage:chelsea"], "max_size": 64}
    data["logger"] = {"print_freq": 1, "save_checkpoint_freq": 1000, "use_tb_logger": False}
    cfg = root.parent / "tiny.yml"
    cfg.write_text(yaml.safe_dump(data))
    assert main([str(cfg)]) == 0
    return root / "tiny"


def write_skimage_photo(path: Path, name: str = "chelsea", width: int = 64) -> Path:
    """A scikit-image photo shrunk (area) to ``width`` pixels wide, as a PNG (offline: shipped in the wheel)."""
    from esrgan_core.photos import load_photo

    rgb = load_photo(name)
    h = round(rgb.shape[0] * width / rgb.shape[1])
    cv2.imwrite(str(path), cv2.resize(rgb[..., ::-1], (width, h), interpolation=cv2.INTER_AREA))
    return path
