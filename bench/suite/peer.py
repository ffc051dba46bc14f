"""Benchmark 2: pages per second against `shot-scraper multi` on the same pages with the same Chromium."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from capture.browser import default_browser
from suite import e2e
from suite.common import CHROMIUM_ARGS, Ctx, Section, Table, median, run_proc, spread


def shot_scraper() -> str:
    import sys

    exe = Path(sys.executable).with_name("shot-scraper")
    if not exe.exists():
        raise RuntimeError("shot-scraper is not installed: run `bash scripts/setup-bench.sh` (the bench extra)")
    if not Path("/opt/google/chrome/chrome").exists():
        raise RuntimeError("/opt/google/chrome/chrome is missing: `bash scripts/setup-bench.sh` links it to Chromium")
    return str(exe)


async def _auth_state(info: dict[str, Any], path: Path) -> None:
    """Log in to both interfaces in one context and save its cookies (Playwright storage state)."""
    import floor
    from playwright.async_api import async_playwright

    a = info["appliances"][0]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(default_browser()), args=floor.ARGS + [
            f"--host-resolver-rules={info['host_resolver_rules']}",
            f"--ignore-certificate-errors-spki-list={','.join(info['spki_pins'])}"])
        ctx = await browser.new_context()
        page = await ctx.new_page()
        await floor.login_appliance(page, a["base_url"], a["credentials"]["appliance"])
        await floor.login_login(page, a["base_url"], a["credentials"]["login"])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # session cookies are secrets
        os.close(fd)
        await ctx.storage_state(path=str(path))
        await browser.close()


def run_shot_scraper(info: dict[str, Any], urls: list[str], work: Path) -> dict[str, Any]:
    if work.exists():
        shutil.rmtree(work)
    (work / "shots").mkdir(parents=True)
    auth = work / "auth.json"
    asyncio.run(_auth_state(info, auth))
    base = info["appliances"][0]["base_url"]  # the manifest's paths on this simulator
    urls = [base + urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]
    config = [{"url": u, "output": str(work / "shots" / f"{i:02}.png"), "width": 1280} for i, u in enumerate(urls)]
    (work / "shots.yml").write_text(json.dumps(config, indent=1))  # JSON is YAML
    args = [f"--browser-arg={x}" for x in CHROMIUM_ARGS]
    args += [f"--browser-arg=--host-resolver-rules={info['host_resolver_rules']}",
             f"--browser-arg=--ignore-certificate-errors-spki-list={','.join(info['spki_pins'])}"]
    try:
        proc = run_proc([shot_scraper(), "multi", str(work / "shots.yml"), "-a", str(auth), "--browser", "chrome",
                         "--silent", "--fail", *args])
    finally:
        auth.unlink(missing_ok=True)
    shots = sorted((work / "shots").glob("*.png"))
    if len(shots) != len(urls):
        raise RuntimeError(f"shot-scraper wrote {len(shots)} of {len(urls)} screenshots: {proc.stderr[-500:]}")
    return {"wall": proc.wall, "sizes": [Image.open(s).size for s in shots], "peak_rss": proc.peak_rss}


def section(ctx: Ctx) -> Section:
    res = e2e.measure(ctx)
    urls, runs = res["urls"], res["ours"]
    peers = []
    sim = ctx.simulator()
    for _ in range(ctx.reps):
        peers.append(run_shot_scraper(sim.info, urls, ctx.folder("peer") / "run"))
    ours_sizes = [Image.open(r.folders[0] / p["screenshot"]).size for r in runs[-1:] for p in r.pages()
                  if p["status"] == "ok" and p.get("screenshot")]
    same = sum(1 for a, b in zip(ours_sizes, peers[-1]["sizes"]) if a == b)
    n = len(urls)
    key = "browser (login, pages, p12, NSB, vault key)"
    browse = [r.stages()[key] for r in runs]
    to_browsed = [r.stages()["startup"] + r.stages()["TLS probe + browser launch"] + r.stages()[key] for r in runs]
    walls = [r.proc.wall for r in runs]
    peer_walls = [p["wall"] for p in peers]
    pps = lambda secs: [n / s for s in secs]  # noqa: E731
    t = Table(f"Pages per second, {n} pages of one appliance (median of {len(runs)} / {len(peers)} run(s))",
              ["tool and scope", "wall", "pages/s", "ours ÷ shot-scraper"])
    peer_pps = median(pps(peer_walls))
    rows = [("`shot-scraper multi` (whole process: start, launch, screenshots; cookies given, no login)", peer_walls),
            ("bt-capture, browser stage only (logins, menus, extraction, screenshots, p12, NSB, vault key)", browse),
            ("bt-capture, process start → browsing done", to_browsed),
            ("bt-capture, end to end (also OCR, verification, dossier HTML + PDF)", walls)]
    for label, secs in rows:
        t.rows.append([label, spread(secs), spread(pps(secs), unit=""), f"{median(pps(secs)) / peer_pps:.2f}×"])
    sec = Section("peer", "2. Peer tool: shot-scraper", METHOD, [t], measured=res["measured"])
    ok_browse = median(pps(browse)) >= peer_pps
    ok_e2e = median(pps(walls)) >= peer_pps
    sec.goals.append(("pages/s at least shot-scraper's (browser stage)", ok_browse,
                      f"{median(pps(browse)):.2f} vs {peer_pps:.2f} pages/s"))
    sec.goals.append(("pages/s at least shot-scraper's (end to end)", ok_e2e,
                      f"{median(pps(walls)):.2f} vs {peer_pps:.2f} pages/s"))
    sec.notes.append(f"shot-scraper's screenshots had the same size as ours for {same} of {n} pages; the others are "
                     "pages shorter than our 900-px viewport (its viewport is 720 px high) or the page where we open "
                     "\"Show details\".")
    return sec


METHOD = """
`shot-scraper multi` (from PyPI, the bench extra) screenshots the page URLs our manifest recorded,
full page at width 1280, with the same Chromium (`--browser chrome`, which finds
`/opt/google/chrome/chrome`, a symlink to the Chromium bt-capture runs, Debian's `chromium-headless-shell`) and the same launch flags, plus
`--host-resolver-rules` and `--ignore-certificate-errors-spki-list` for the simulator. It cannot log in
by clicking, so it gets an auth state: a Playwright context logs in to both interfaces and its
`storage_state` is saved as `auth.json` (`-a auth.json`); that login is not counted. Our numbers are the
runs of benchmark 1 (same invocation, same simulator settings); each stage is divided into the number of
pages. Ours includes work shot-scraper does not do: two logins with agreement and TOTP, clicking
through the menus, extracting and masking every value, the .p12 export, the NSB and vault key
downloads.
"""
