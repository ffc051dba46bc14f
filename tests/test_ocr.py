"""OCR on real Chromium screenshots with real tesseract: legibility, pool, masks, label/value pairs."""
from __future__ import annotations

import os
import shutil

import pytest
from PIL import Image

from capture import ocr
from capture.ocr_text import TextIndex, is_flagged
from gen_admin_page import admin_page, form_page

pytestmark = pytest.mark.xdist_group("ocr")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
CANARY = "ZEBRA-7731-CANARY"


def require(tool: str, path: str | None = None) -> None:
    if not (shutil.which(tool) or (path and os.path.exists(path))):
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: CI must have it")
        pytest.skip(f"{tool} missing")


@pytest.fixture(scope="module")
def page(playwright):
    # The session's one sync Playwright (conftest): a second one in the same thread is refused.
    require("chromium", "/usr/bin/chromium")
    require("tesseract")
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    yield browser.new_page(viewport={"width": 1280, "height": 720})
    browser.close()


@pytest.fixture(scope="module")
def shots(page, tmp_path_factory):
    """Screenshots of admin-like pages plus what the DOM holds; the label box for a coordinate check."""
    d = tmp_path_factory.mktemp("shots")
    out = {}
    for name, kw in {"good": dict(seed=3), "cut": dict(seed=4, cut=True), "tall": dict(seed=5, repeat=3)}.items():
        html, sections = admin_page(**kw)
        page.set_content(html)
        box = page.get_by_text("Serial Number", exact=True).first.bounding_box()
        page.screenshot(path=str(d / f"{name}.png"), full_page=True)
        out[name] = (d / f"{name}.png", sections, box)
    return out


@pytest.fixture(scope="module")
def serial(shots):
    return {name: ocr.ocr_image(path) for name, (path, _, _) in shots.items()}


def test_good_page_is_legible(shots, serial):
    _, sections, _ = shots["good"]
    score, checked, missing = ocr.legibility(sections, serial["good"].text)
    assert checked >= 40
    assert score >= 0.98, missing
    assert not is_flagged(score)


def test_cut_off_page_is_flagged(shots, serial):
    _, sections, _ = shots["cut"]
    score, checked, missing = ocr.legibility(sections, serial["cut"].text)
    assert score < 0.7 and is_flagged(score)
    assert any(m.startswith("Syslog Server:") for m in missing)   # below the fold
    assert not any(m.startswith("Serial Number:") for m in missing)  # visible at the top


def test_tall_page_is_banded_and_legible(shots, serial):
    path, sections, _ = shots["tall"]
    out = serial["tall"]
    assert out.height > 3000 and len(ocr.band_cuts(ocr.preprocess(Image.open(path), 1))) >= 2
    score, _, missing = ocr.legibility(sections, out.text)
    assert score >= 0.98, missing
    assert max(w["top"] for w in out.words) > 3000  # words of the lower band land at their real rows


def test_word_boxes_are_in_original_coordinates(shots, serial):
    _, _, box = shots["good"]
    out = serial["good"]
    serial_word = next(w for w in out.words if w["text"] == "Serial")
    assert abs(serial_word["left"] - box["x"]) <= 4  # the label cell's text starts at the cell's left edge
    assert abs(serial_word["top"] + serial_word["height"] / 2 - (box["y"] + box["height"] / 2)) <= 4
    assert out.width == 1280 and all(0 <= w["left"] < out.width for w in out.words)
    assert "tesseract 5" in out.engine and "traineddata" in out.engine and "psm 3" in out.engine


def test_parallel_equals_serial_and_bad_images_do_not_sink_the_batch(shots, serial, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    names = list(shots)
    paths = [shots[n][0] for n in names]
    with ocr.OcrPool(jobs=2) as pool:
        assert pool._ex.submit(os.getenv, "OMP_THREAD_LIMIT").result() == "1"
        outs = pool.map([paths[0], bad, *paths[1:], tmp_path / "missing.png"])
    assert [o.text for o in outs[:1] + outs[2:-1]] == [serial[n].text for n in names]
    assert outs[1].error and "broken.png" in outs[1].path and outs[1].text == ""
    assert outs[-1].error and not outs[0].error
    assert ocr.ocr_many([]) == []


def test_mask_makes_a_secret_unreadable(page, tmp_path):
    page.set_content(
        "<body style='font:14px Arial;margin:30px'><label>API Secret</label> "
        f"<input id='s' style='width:320px;font:14px Arial' value='{CANARY}'>"
        "<p>Other text stays: Default Gateway 10.1.2.3</p></body>")
    page.screenshot(path=str(tmp_path / "open.png"))
    page.screenshot(path=str(tmp_path / "masked.png"), mask=[page.locator("#s")])
    opened, masked = ocr.ocr_many([tmp_path / "open.png", tmp_path / "masked.png"])
    assert TextIndex(opened.text).has(CANARY), opened.text  # the test can fail: unmasked, OCR reads it
    assert not TextIndex(masked.text).has(CANARY), masked.text
    folded = TextIndex(masked.text).stream
    assert not any(part in folded for part in ("2e8ra", "7731", "canary", "zebra"))
    assert TextIndex(masked.text).has("10.1.2.3")  # the rest of the page is still read


VOCAB = ["Appliance Hostname", "Serial Number", "Default Gateway", "Primary DNS", "Base Software Version",
         "System Time", "NTP Server", "Syslog Port", "Model"]


def test_ocr_to_sections_pairs_labels_and_values(page, tmp_path):
    pairs = [("Appliance Hostname", "bt1.example.test"), ("Serial Number", "B482913-K22"),
             ("Default Gateway", "10.20.30.1"), ("Primary DNS", "192.168.7.53"),
             ("Base Software Version", "24.2.3 (build 31337)"), ("System Time", "2025-06-01 12:34:56 UTC"),
             ("NTP Server", "ntp1.example.test"), ("Syslog Port", "6514")]
    page.set_content(form_page(pairs))
    page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    # A second layout: the value under its label, as some status panels show it.
    page.set_content("<body style='font:13px Arial;margin:30px'><div>Model</div><div style='margin-top:4px'>"
                     "B300</div><p style='margin-top:40px'>Appliance Hostname</p></body>")
    page.screenshot(path=str(tmp_path / "stacked.png"))
    form, stacked = ocr.ocr_many([tmp_path / "form.png", tmp_path / "stacked.png"])
    fields = {f.label: f.value for s in ocr.ocr_to_sections(form, VOCAB) for f in s.fields}
    assert set(fields) == {label for label, _ in pairs}
    exact = sum(fields[label] == value for label, value in pairs)
    assert exact >= len(pairs) - 1, fields
    assert all(TextIndex(fields[label] or "").has(value) for label, value in pairs), fields
    [sec] = ocr.ocr_to_sections(stacked, VOCAB)
    got = {f.label: f.value for f in sec.fields}
    assert got["Model"] == "B300" and got["Appliance Hostname"] is None
    assert all(f.kind == "ocr" for f in sec.fields)


def test_pool_survives_a_killed_worker(shots, serial):
    import signal
    import time
    path = shots["good"][0]
    with ocr.OcrPool(jobs=1) as pool:
        os.kill(pool._ex.submit(os.getpid).result(), signal.SIGKILL)
        time.sleep(0.5)
        [out] = pool.map([path])
        assert out.error is None and out.text == serial["good"].text
        assert pool.submit(path).result().text == serial["good"].text


def test_the_tesseract_program_reads_what_the_library_reads(shots, serial, monkeypatch):
    """Two ways to run tesseract: libtesseract in the worker (tesserocr, the default) and the `tesseract` program
    (BTC_OCR_ENGINE=cli, or where tesserocr has no wheel). Both must read the page as legible."""
    assert ocr.engine().name == "api", "tesserocr should be installed (pyproject) and find the language data"
    monkeypatch.setenv("BTC_OCR_ENGINE", "cli")
    cli = ocr.Engine()
    assert cli.name == "cli" and "tesseract program" in cli.version()
    monkeypatch.setattr(ocr, "engine", lambda: cli)
    path, sections, _ = shots["good"]
    out = ocr.ocr_image(path)
    score, _, missing = ocr.legibility(sections, out.text)
    assert score >= 0.98, missing
    api_words = {w["text"] for w in serial["good"].words}
    cli_words = {w["text"] for w in out.words}
    assert len(api_words & cli_words) >= 0.9 * len(api_words)
