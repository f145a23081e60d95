"""The real page in headless Chromium (Debian ``chromium`` driven by Playwright; no browser download):
upscale a photo and get the CLI's bytes, tune a recipe in the playground, browse a finished run.
Screenshots of each view go to ``$ESRGAN_ARTEFACTS/webui`` (default: pytest's temporary folder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

from esrgan_core.cli import main  # noqa: E402
from tests.webui_support import running_server, write_photo  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
MODEL = "realesr-animevideov3"
# No network but loopback: no DNS, no background services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("ESRGAN_ARTEFACTS") or tmp_path_factory.getbasetemp() / "artefacts") / "webui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser: Any, base: str) -> Any:
    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page.set_default_timeout(120_000)
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def test_upscale_in_the_page_gives_the_cli_bytes(browser: Any, tmp_path: Path, artefacts: Path) -> None:
    photo = write_photo(tmp_path / "photo.png", (48, 32), seed=3)
    assert main(["upscale", "-i", str(photo), "-o", str(tmp_path / "cli"), "-m", MODEL, "--no-progress"]) == 0
    expected = (tmp_path / "cli" / "photo_out.png").read_bytes()
    root = tmp_path / "root"
    root.mkdir()
    with running_server(root) as base:
        page = open_page(browser, base)
        assert page.input_value("#up-model") == f"builtin:{MODEL}"
        page.set_input_files("#up-files", str(photo))
        page.click("#up-run")
        link = page.wait_for_selector(".result a.download")
        page.wait_for_function("document.querySelector('.slider img.after').complete")
        page.screenshot(path=str(artefacts / "upscale.png"), full_page=True)
        with page.expect_download() as dl:
            link.click()
        got = Path(dl.value.path()).read_bytes()
        assert got == expected
        assert page.text_content("#up-status") == "done: 1 of 1"

        broken = tmp_path / "broken.png"
        broken.write_bytes(photo.read_bytes()[:50])
        page.set_input_files("#up-files", str(broken))
        page.click("#up-run")
        page.wait_for_selector("#message:not([hidden])")
        assert "broken.png: not a readable image" in page.text_content("#message")
        page.close()
