"""End to end: `seglab serve` on a free loopback port, driven by Debian's headless Chromium through Playwright.

Upload an image, run otsu, see the overlay appear and change with the opacity slider, download the labels;
then place a seed by clicking for region_growing. Every file the page downloads must equal seglab.segment
run directly on the same image.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

import seglab
from seglab.io import read_labels

from .conftest import SAMPLES

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium "
                                "(apt-get install -y chromium chromium-driver)")


@pytest.fixture(scope="module")
def server():
    """`seglab serve --port 0` in a subprocess; yields its URL once /health answers."""
    proc = subprocess.Popen([sys.executable, "-m", "seglab.cli", "serve", "--port", "0", "--workers", "2",
                             "--log-level", "warning"], stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stderr:
            found = re.search(r"seglab serve: (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found[1]
                break
        assert url, "the server did not print its address"
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # a full pipe would block the server
        for _ in range(300):
            try:
                if httpx.get(url + "health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        # bypass_csp lets Playwright evaluate its own helpers; the page itself runs under its policy
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True,
                                      bypass_csp=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server)
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        yield page
        browser.close()
        assert not errors, errors


def _canvas(page) -> str:
    return page.eval_on_selector("#canvas", "c => c.toDataURL()")


def _download_labels(page, tmp_path) -> np.ndarray:
    with page.expect_download(timeout=15_000) as download:
        page.click("#downloads a:has-text('.labels.')")
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    return read_labels(target)


def _upload_coins(page) -> None:
    page.set_input_files("#file", str(SAMPLES / "coins.png"))
    page.wait_for_function("document.getElementById('canvas').width === 384", timeout=15_000)


def _run(page, method: str) -> None:
    page.click("#run")
    page.wait_for_function(f"document.getElementById('result-info').textContent.startsWith('{method} ')",
                           timeout=30_000)


def test_upload_segment_see_the_overlay_move_the_slider_download_the_labels(page, tmp_path):
    coins = seglab.read_image(SAMPLES / "coins.png")
    _upload_coins(page)
    assert "384 x 303, gray, uint8" in page.text_content("#image-info")
    plain = _canvas(page)
    page.select_option("#method", "otsu")
    _run(page, "otsu")
    overlay = _canvas(page)
    assert overlay != plain  # the overlay appeared
    page.fill("#opacity", "100")
    assert _canvas(page) not in (overlay, plain)  # the slider changed it
    page.select_option("#mode", "image")
    assert _canvas(page) == plain
    page.select_option("#mode", "fill")
    assert "1 segment" in page.text_content("#result-info")
    # the region table is fetched after the result is shown: wait for it, then check it
    page.wait_for_function("document.querySelectorAll('#regions tr').length > 0", timeout=15_000)
    assert page.locator("#regions tr").count() == 2  # header + the foreground class
    assert np.array_equal(_download_labels(page, tmp_path), seglab.segment(coins, "otsu").labels)


def test_click_a_seed_for_region_growing(page, tmp_path):
    coins = seglab.read_image(SAMPLES / "coins.png")
    if page.eval_on_selector("#canvas", "c => c.width") != 384:  # run on its own: the first test did not upload
        _upload_coins(page)
    page.select_option("#method", "region_growing")
    page.click("button[name=seeds-place]")
    box = page.locator("#canvas").bounding_box()
    width = page.eval_on_selector("#canvas", "c => c.width")
    scale = box["width"] / width
    row, col = 150, 200
    # browsers report whole CSS pixels: click the first whole position inside the image pixel (row, col)
    page.mouse.click(math.ceil(box["x"] + col * scale), math.ceil(box["y"] + row * scale))
    assert page.text_content("[data-param=seeds] .count") == "1 point"
    _run(page, "region_growing")
    expected = seglab.segment(coins, "region_growing", seeds=[(row, col)]).labels
    labels = _download_labels(page, tmp_path)
    assert np.array_equal(labels, expected) and labels[row, col] == 1


def test_a_page_of_a_multi_page_file(page, tmp_path):
    """A 3-page TIFF: without a page the page says which to choose; page 2 is shown, segmented and downloaded."""
    import tifffile

    stack = np.stack([np.full((40, 50), 30 * k, np.uint8) for k in range(3)])
    stack[:, 10:30, 5:25] += 100  # a bright square on every page, over a different ground
    stack[2, :, 40:] = 250  # page 2 alone has a third level
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    page.fill("#page", "")
    page.set_input_files("#file", str(tmp_path / "stack.tif"))
    page.wait_for_function("!document.getElementById('error').hidden", timeout=15_000)
    assert "choose a page with page=N" in page.text_content("#error")
    page.fill("#page", "2")
    page.dispatch_event("#page", "change")
    page.wait_for_function("document.getElementById('canvas').width === 50", timeout=15_000)
    assert "stack.tif: 50 x 40, gray, uint8" in page.text_content("#image-info")
    page.select_option("#method", "otsu")
    _run(page, "otsu")
    labels = _download_labels(page, tmp_path)
    page.fill("#page", "")  # the next test starts from no page
    assert np.array_equal(labels, seglab.segment(stack[2], "otsu").labels)


def test_enter_runs_instead_of_reloading_and_bad_numbers_stop_the_run(page, tmp_path):
    coins = seglab.read_image(SAMPLES / "coins.png")
    if page.eval_on_selector("#canvas", "c => c.width") != 384:
        _upload_coins(page)
    page.select_option("#method", "otsu")
    url = page.url
    page.fill("input[name=nbins][type=number]", "64")
    page.press("input[name=nbins][type=number]", "Enter")  # one field in the form: Enter used to submit it
    page.wait_for_function("document.getElementById('result-info').textContent.startsWith('otsu ')", timeout=30_000)
    assert page.url == url and page.eval_on_selector("#canvas", "c => c.width") == 384  # no reload, image kept
    assert np.array_equal(_download_labels(page, tmp_path), seglab.segment(coins, "otsu", nbins=64).labels)
    page.type("input[name=nbins][type=number]", "e")  # "64e" is not a number: the field's value reads ""
    page.click("#run")
    page.wait_for_function("!document.getElementById('error').hidden", timeout=15_000)
    assert "nbins: not a number" in page.text_content("#error")
    page.click("#reset")


def test_a_new_image_clears_the_comparison_and_the_result(page, tmp_path):
    if page.eval_on_selector("#canvas", "c => c.width") != 384:
        _upload_coins(page)
    page.click("#compare-none")
    page.check("#compare-methods input[value=otsu]")
    page.check("#compare-methods input[value=kmeans]")
    page.click("#compare-run")
    page.wait_for_function("document.querySelectorAll('#compare-grid .card').length === 2", timeout=60_000)
    # a card's canvas takes its preview's size: the image is drawn scaled under it, never a corner of it
    assert page.eval_on_selector("#compare-grid canvas", "c => c.width") <= 384
    from PIL import Image

    Image.fromarray(np.zeros((20, 30), np.uint8)).save(tmp_path / "small.png")
    page.set_input_files("#file", str(tmp_path / "small.png"))
    page.wait_for_function("document.getElementById('canvas').width === 30", timeout=15_000)
    assert page.locator("#compare-grid .card").count() == 0
    assert page.text_content("#result-info") == "" and page.locator("#downloads a").count() == 0
