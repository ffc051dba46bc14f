"""The demo's outputs as a new user gets them: axe-core's WCAG 2 A/AA rules in Chromium find nothing; PDFs stay tagged."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import axehelpers
import simhelpers

pytestmark = pytest.mark.xdist_group("accessibility")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: Any) -> Path:
    out = tmp_path_factory.mktemp("a11y") / "demo"
    done = subprocess.run([sys.executable, "-m", "capture.cli", "demo", "--out", str(out)], capture_output=True,
                          text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "snapshots"


@pytest.fixture(scope="module")
def page(playwright: Any) -> Iterator[Any]:
    simhelpers.require_tool(str(axehelpers.AXE))  # scripts/setup.sh installs it (npm ci in tests/axe)
    browser = playwright.chromium.launch(executable_path=simhelpers.CHROMIUM, args=simhelpers.CHROMIUM_ARGS)
    # The reports forbid every script (CSP script-src 'none'); only this test's axe is let in.
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    browser.close()


def test_no_wcag_a_or_aa_violation_on_the_dossiers_the_diff_and_the_binder(demo: Path, page: Any) -> None:
    files = [*sorted(demo.glob("*/dossier.html")), *demo.glob("diff_*/diff.html"), demo / "index.html"]
    assert len(files) == 4, files
    found = {f"{f.parent.name}/{f.name}": axehelpers.violations(page, f.as_uri()) for f in files}
    report = {k: [(v["id"], len(v["nodes"]), v["nodes"][0]["target"], v["nodes"][0]["summary"]) for v in vs]
              for k, vs in found.items() if vs}
    assert not report, report


def test_axe_finds_what_it_should(page: Any, tmp_path: Path) -> None:
    """The check can fail: low contrast and a colour-only link in a page of our own make axe complain."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><html lang="en"><title>t</title><main><p style="color:#999">faint text</p>'
                   '<p style="color:#555">text and a <a href="#x" style="color:#333;text-decoration:none">link</a> in '
                   'it, told apart by colour alone</p></main>')
    ids = {v["id"] for v in axehelpers.violations(page, bad.as_uri())}
    assert {"color-contrast", "link-in-text-block"} <= ids, ids


def test_the_pdfs_stay_tagged(demo: Path) -> None:
    simhelpers.require_tool("pdfinfo")
    pdfs = [*demo.glob("*/dossier.pdf"), *demo.glob("diff_*/diff.pdf"), demo / "binder.pdf"]
    assert len(pdfs) == 4
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "Tagged:          yes" in info, pdf
