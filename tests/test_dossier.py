"""Dossiers and binder of a captured failover pair whose appliances show HTML/script text in visible fields."""
from __future__ import annotations

import asyncio
import json
import re
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

import simhelpers
from capture import app as runapp
from capture import config
from capture.redact import Redactor
from capture.runner import Options
from fixtures import SimOptions, Simulator
from fixtures.inventory import write_inventory

pytestmark = pytest.mark.xdist_group("dossier")
INJECTED = ("<script>window.__pwned=1</script>", "</table><b>x</b>")
SEGMENT = re.compile(r"\S+(?: \S+)*")


def run_async(coro: Any) -> Any:
    """asyncio.run in a thread of its own: the session's sync Playwright may hold this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def capture_into(sim: Simulator, folder: Path, **inventory: Any) -> tuple[Any, dict[str, str]]:
    """Capture every appliance of sim (no OCR, no rendering); returns (RunOutcome, the secrets' environment)."""
    inv_path, env = write_inventory(sim.info(), folder, output=folder / "snapshots", **inventory)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        outcome = run_async(runapp.run(config.load(inv_path), Options(), redactor=Redactor(), render=False))
    assert all(r.folder for r in outcome.results), [r.error for r in outcome.results]
    return outcome, env


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: Path) -> str:
    """pdftotext -layout, plus each wrapped table cell re-joined (its lines start in the same column)."""
    simhelpers.require_tool("pdftotext")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = [text]
    for para in re.split(r"\n\s*\n", text):
        cols: dict[int, list[str]] = {}
        for line in para.split("\n"):
            for m in SEGMENT.finditer(line):
                key = next((k for k in cols if abs(k - m.start()) <= 2), m.start())
                cols.setdefault(key, []).append(m.group())
        out += [" ".join(v) for v in cols.values()]
    return "\n".join(squash(x) for x in out)


def values(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Every non-secret field value and table cell of the manifest, with where it came from."""
    out = []
    for p in manifest["pages"]:
        for s in p["sections"]:
            out += [(f"{p['flow']} / {f['label']}", f["value"]) for f in s["fields"]
                    if not f["secret"] and f["value"] and f["value"].strip()]
            out += [(f"{p['flow']} / {s['title']} table", c) for t in s["tables"] for r in t["rows"] for c in r
                    if c.strip()]
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    from reports import dossier

    sim = Simulator(SimOptions(pair=True, inject_markup=True)).start()
    try:
        folder = tmp_path_factory.mktemp("dossier")
        outcome, env = capture_into(sim, folder, nsb="both")
        secrets = sorted(set(sim.info()["canaries"]) | set(env.values()))
    finally:
        sim.stop()
    root = folder / "snapshots"
    diffs = outcome.diffs or [fake_diff(root, [r.folder for r in outcome.results])]
    started = time.monotonic()
    run_async(dossier.render_all([r.folder for r in outcome.results], diffs, root))
    yield {"root": root, "folders": [r.folder for r in outcome.results], "diffs": diffs, "secrets": secrets,
           "seconds": time.monotonic() - started}


def fake_diff(root: Path, folders: list[Path]) -> dict[str, Any]:
    """A peer diff summary as reports/diff.py returns it (used until that module exists)."""
    out = root / "diff-bt1-bt2"
    out.mkdir()
    (out / "diff.html").write_text("<!doctype html><title>diff</title><p>consistent")
    (out / "diff.json").write_text(json.dumps({"differences": [{"flow": "appliance.security.ssl_tls", "class":
                                                                "must_match", "section": "Cipher Suites",
                                                                "label": "Order", "a": "1", "b": "2"}]}))
    return {"a": str(folders[0]), "b": str(folders[1]), "verdict": "1 must-match difference", "must_match": 1,
            "html": str(out / "diff.html"), "json": str(out / "diff.json")}


def test_pdf_holds_every_value_and_no_secret(run: dict[str, Any]) -> None:
    for folder in run["folders"]:
        manifest = json.loads((folder / "manifest.json").read_text())
        text = pdf_text(folder / "dossier.pdf")
        missing = [(where, v) for where, v in values(manifest) if squash(v) not in text]
        assert not missing, missing[:10]
        assert len(values(manifest)) > 150
        assert squash("a value no appliance shows 7f3e") not in text  # the check can fail
        html = (folder / "dossier.html").read_text()
        leaks = [s[:8] for s in run["secrets"] if len(s) >= 6 and (s in text or s in html)]
        assert not leaks
        assert squash(INJECTED[0]) in text and squash(INJECTED[1]) in text


def test_pdf_is_paged_linked_and_fast(run: dict[str, Any]) -> None:
    folder = run["folders"][0]
    info = subprocess.run(["pdfinfo", str(folder / "dossier.pdf")], capture_output=True, text=True, check=True).stdout
    assert "A4" in info and "Tagged:          yes" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run(["pdftotext", str(folder / "dossier.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"page 1 of {pages}" in text and f"page {pages} of {pages}" in text
    assert "support.example.test · bt1.example.test" in text  # the header on every page
    raw = (folder / "dossier.pdf").read_bytes()
    assert raw.count(b"/Subtype /Link") >= 30 and b"/Dest" in raw  # table of contents and evidence links
    assert b"/Outlines" in raw
    for f in run["folders"]:
        for name in ("dossier.html", "dossier.pdf"):
            assert stat.S_IMODE((f / name).stat().st_mode) == 0o600
        assert not [p.name for p in f.iterdir() if p.name.endswith(".part")]
    # Two dossiers and the binder with one browser: under ~2 s each on an idle machine, allow for a busy one.
    assert run["seconds"] < 60


def test_markup_from_the_appliance_is_text(run: dict[str, Any], playwright: Any) -> None:
    folder = run["folders"][0]
    browser = playwright.chromium.launch(executable_path=simhelpers.CHROMIUM, args=simhelpers.CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        page.goto((folder / "dossier.html").as_uri())
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate("document.scripts.length") == 0
        assert page.locator("b", has_text="x").count() == 0
        body = page.locator("body").inner_text()
        assert INJECTED[0] in body and INJECTED[1] in body
        snmp = page.locator('[id="appliance.networking.snmp"]')
        row = snmp.locator("table.kv tr", has=page.locator("th", has_text="System Location"))
        assert row.locator("td").inner_text() == f"{INJECTED[0]} DC1 {INJECTED[1]}"
        manifest = json.loads((folder / "manifest.json").read_text())
        rec = next(p for p in manifest["pages"] if p["flow"] == "appliance.networking.snmp")
        assert snmp.locator(".values-section table.kv tr").count() == sum(len(s["fields"]) for s in rec["sections"])
        assert snmp.locator(".values-section table").count() == sum(bool(s["fields"]) + len(s["tables"])
                                                                     for s in rec["sections"])
        anchors = page.evaluate("[...document.querySelectorAll('a[href^=\"#\"]')].map(a => a.getAttribute('href'))")
        broken = [a for a in anchors if not page.evaluate("(id) => !!document.getElementById(id)", a[1:])]
        assert not broken and len(anchors) > 40
    finally:
        browser.close()


def test_runbook_has_the_values_to_rebuild(run: dict[str, Any]) -> None:
    folder = run["folders"][0]
    text = squash((folder / "dossier.html").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    for needle in ("10.20.30.1", "10.20.0.53,10.20.0.54", "10.20.30.41", "255.255.255.0(/24)", "192.168.60.0",
                   "/appliance&gt;Networking&gt;IPConfiguration", "/appliance&gt;Security&gt;Certificates&gt;Import",
                   "environmentvariableBTC_P12_PASSPHRASE", "environmentvariableBTC_BACKUP_PASSWORD",
                   "environmentvariableBTC_VAULT_PASSWORD", "/login&gt;Management&gt;Failover",
                   "Inter-applianceCommunicationPre-sharedKey", "set(redacted)"):
        assert squash(needle) in text, needle
    p12 = next(a for a in manifest["artifacts"] if a["kind"] == "p12")
    assert p12["verification"]["details"]["sha256"] in text
    for a in manifest["artifacts"]:
        assert Path(a["path"]).name in text
    for step in manifest["procedure"]:
        assert f'id="step-{step["id"]}"' in text


def test_binder_opens_offline_and_links_everything(run: dict[str, Any], playwright: Any) -> None:
    root = run["root"]
    index = root / "index.html"
    assert (root / "binder.pdf").stat().st_size > 1000
    browser = playwright.chromium.launch(executable_path=simhelpers.CHROMIUM, args=simhelpers.CHROMIUM_ARGS)
    blocked: list[str] = []
    try:
        ctx = browser.new_context()

        def offline(route: Any) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()
        ctx.route("**/*", offline)
        page = ctx.new_page()
        page.goto(index.as_uri())
        links = page.evaluate("[...document.querySelectorAll('a')].map(a => a.href)")
        for f in run["folders"]:
            assert (f / "dossier.html").as_uri() in links and (f / "dossier.pdf").as_uri() in links
        assert Path(run["diffs"][0]["html"]).resolve().as_uri() in links
        page.click(f"a[href$='{run['folders'][1].name}/dossier.html']")
        page.wait_for_load_state()
        assert "bt2.example.test" in page.title()
        assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert page.evaluate("document.images.length") >= 10
    finally:
        browser.close()
    assert not blocked
    hrefs = re.findall(r'href="([^"#]+)"', index.read_text())
    assert hrefs and all(not h.startswith(("/", "http", "file:")) for h in hrefs)  # relative: the folder can move
