"""The real page in headless Chromium (Debian ``chromium`` driven by Playwright; no browser download):
upscale a photo and get the CLI's bytes, tune a recipe in the playground, browse a finished run.
Screenshots of each view go to ``$ESRGAN_ARTEFACTS/webui`` (default: pytest's temporary folder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import needs_extra

needs_extra("ui", "starlette")
needs_extra("ui", "uvicorn")
sync_api = needs_extra("dev", "playwright.sync_api")  # a test tool of the dev extra

from esrgan_core.cli import main  # noqa: E402
from tests.webui_support import running_server, write_skimage_photo  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
MODEL = "realesr-animevideov3"
# No network but loopback: no DNS, no background services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]

sync_api.expect.set_options(timeout=30_000)  # a loaded machine answers slowly; nothing here is timed

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


def wait_images(page: Any, selector: str) -> None:
    """Until every image matching ``selector`` has loaded (polled here: the page's CSP forbids eval)."""
    images = page.locator(selector)
    sync_api.expect(images.first).to_be_visible()
    for i in range(images.count()):
        sync_api.expect(images.nth(i)).to_have_js_property("complete", True)
        assert images.nth(i).evaluate("img => img.naturalWidth") > 0


def test_upscale_in_the_page_gives_the_cli_bytes(browser: Any, tmp_path: Path, artefacts: Path) -> None:
    photo = write_skimage_photo(tmp_path / "photo.png", "chelsea", 80)
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
        wait_images(page, ".slider img")
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


LIGHT = """\
- {type: blur, kernel_size: [3, 7], kernel_list: [iso], kernel_prob: [1.0], sigma: [0.2, 1.0], sinc_prob: 0}
- {type: resize, to: lr, prob: [0, 0, 1]}
- {type: noise, gaussian_prob: 1.0, sigma: [1, 2], gray_prob: 0.0}
"""


def test_playground_range_change_changes_the_samples_and_saves_a_valid_recipe(browser: Any, tmp_path: Path,
                                                                              artefacts: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with running_server(root) as base:
        page = open_page(browser, base)
        page.click("#tab-lab")
        page.wait_for_selector("#lab-valid.ok")  # the default preset loaded and validated
        assert "type: usm" in page.input_value("#lab-yaml")
        page.fill("#lab-crop", "64")
        page.fill("#lab-n", "2")
        page.fill("#lab-yaml", LIGHT.replace("sigma: [1, 2]", "sigma: [2, 1]"))
        page.wait_for_selector("#lab-valid.bad")
        assert page.text_content("#lab-valid").startswith("stages:3: stages[2]")
        page.fill("#lab-yaml", LIGHT)
        page.wait_for_selector("#lab-valid.ok")
        page.click("#lab-run")
        page.wait_for_selector(".sample[data-index='1'] img.lr")
        before = page.get_attribute(".sample[data-index='0'] img.lr", "src")
        assert page.locator(".sample[data-index='0'] .stage-images figure").count() == 3
        page.fill("#lab-yaml", LIGHT.replace("sigma: [1, 2]", "sigma: [30, 40]"))  # a stage's range
        page.wait_for_selector("#lab-valid.ok")
        page.click("#lab-run")
        sync_api.expect(page.locator(".sample[data-index='0'] img.lr")).not_to_have_attribute("src", before)
        page.screenshot(path=str(artefacts / "playground.png"), full_page=True)
        page.fill("#lab-name", "noisy")
        page.click("#lab-save")
        page.wait_for_selector("#lab-saved:has-text('valid')")
        assert page.text_content("#lab-saved") == "recipes/noisy.yml: valid (preview config)"
        page.close()
    assert main(["validate", str(root / "recipes" / "noisy.yml")]) == 0


def test_runs_view_shows_the_curve_and_compare_images_of_a_finished_run(browser: Any, tmp_path: Path,
                                                                        artefacts: Path) -> None:
    from esrgan_core.runlayout import RunLayout
    from esrgan_core.training.metrics_log import MetricsLog
    from tests.webui_support import tiny_finished_run

    root = tmp_path / "experiments"
    run = tiny_finished_run(root)
    with running_server(root) as base:
        page = open_page(browser, base)
        page.click("#tab-runs")
        page.click("tr[data-path='tiny']")
        page.wait_for_selector("svg.curve[data-key='val psnr'] polyline", state="attached")
        assert page.text_content("tr[data-path='tiny'] td:nth-child(2)") == "finished"
        assert page.locator("svg.curve[data-key^='train l_']").count() >= 1
        wait_images(page, "img.compare, img.val-image")
        assert page.get_attribute("img.compare", "src") == "/api/file?path=tiny%2Fcompare%2Fchelsea.png"
        slider = page.locator(".val[data-image='astronaut'] input.iter")
        assert page.text_content(".val[data-image='astronaut'] .iter-label") == "iteration 2"
        slider.fill("0")
        assert page.text_content(".val[data-image='astronaut'] .iter-label") == "iteration 1"
        page.screenshot(path=str(artefacts / "runs.png"), full_page=True)

        # The same run, not finished and just written to: it reads as running and its curves follow the log.
        stage = RunLayout(run).stage("esrnet")
        stage.done_file.unlink()
        os.utime(stage.metrics_file)
        page.click("#tab-upscale")
        page.click("#tab-runs")
        sync_api.expect(page.locator("tr[data-path='tiny'] td:nth-child(2)")).to_have_text("running")
        page.click("tr[data-path='tiny']")
        sync_api.expect(page.locator("#run-detail h2")).to_have_text("tiny — running")
        log = MetricsLog(stage.logs)
        log.log(3, "val", {"psnr": 9.5, "ssim": 0.25})
        log.close()
        x_max = page.locator("svg.curve[data-key='val psnr'] text").nth(4)  # the x axis' right end: the newest iteration
        sync_api.expect(x_max).to_have_text("3", timeout=30_000)
        page.close()


def test_compare_view_shows_both_results_and_their_metrics(browser: Any, tmp_path: Path, artefacts: Path) -> None:
    import cv2

    hr = write_skimage_photo(tmp_path / "hr.png", "coffee", 96)
    lr = tmp_path / "lr.png"
    hr_bgr = cv2.imread(str(hr))
    cv2.imwrite(str(lr), cv2.resize(hr_bgr, (hr_bgr.shape[1] // 4, hr_bgr.shape[0] // 4), interpolation=cv2.INTER_AREA))
    root = tmp_path / "root"
    root.mkdir()
    with running_server(root) as base:
        page = open_page(browser, base)
        page.click("#tab-compare")
        page.select_option("#cmp-b", f"builtin:{MODEL}")
        page.set_input_files("#cmp-lr", str(lr))
        page.set_input_files("#cmp-hr", str(hr))
        page.click("#cmp-run")
        page.wait_for_selector("#cmp-result table.metrics")
        wait_images(page, "#cmp-result .slider img")
        psnr = [float(page.text_content(f"tr[data-side='{s}'] td[data-metric='psnr']")) for s in "AB"]
        assert psnr[0] == psnr[1] > 10  # the same model on both sides
        page.screenshot(path=str(artefacts / "compare.png"), full_page=True)
        page.close()


def test_limits_give_a_message_in_the_page_and_the_next_upload_works(browser: Any, tmp_path: Path) -> None:
    from esrgan_plugins.webui.uploads import Limits

    big = write_skimage_photo(tmp_path / "big.png", "astronaut", 256)  # over 30 kB
    wide = write_skimage_photo(tmp_path / "wide.png", "chelsea", 64)  # 64x43 = 2,752 pixels
    small = write_skimage_photo(tmp_path / "small.png", "chelsea", 32)
    assert big.stat().st_size > 30_000 > wide.stat().st_size
    root = tmp_path / "root"
    root.mkdir()
    with running_server(root, limits=Limits(max_upload_bytes=30_000, max_pixels=2000)) as base:
        page = open_page(browser, base)
        for photo, message in ((big, "is over the upload limit of 30 kB"), (wide, "wide.png: 64x43 = 2,752 pixels is over the pixel limit of 2,000")):
            page.set_input_files("#up-files", str(photo))
            page.click("#up-run")
            sync_api.expect(page.locator("#message")).to_contain_text(message)
        page.set_input_files("#up-files", str(small))
        page.click("#up-run")
        page.wait_for_selector(".result a.download")
        assert page.is_hidden("#message")
        page.close()
