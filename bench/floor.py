#!/usr/bin/env python3
"""The floor: the least code that does a capture's browser and OCR work, hard-coded for the simulator.

    python bench/floor.py SIM_INFO.json URLS.json OUT_DIR TIMINGS.json [--ocr same|plain] [--jobs N]
    python bench/floor.py SIM_INFO.json URLS.json OUT_DIR TIMINGS.json --fleet J [--shot playwright|cdp]

`--fleet J` (benchmark 4) does the browser part for every appliance of SIM_INFO, J appliances at once
in the one Chromium (URLS are the first appliance's; each appliance gets the same paths on its own
address), without OCR. `--shot cdp` takes each screenshot with one `Page.captureScreenshot` (the page's
size, clip, optimizeForSpeed), as bt-capture's capture.screenshot does, instead of `page.screenshot`.

Logs in to /appliance (agreement, then username and password) and /login (username and password,
then the TOTP code) in two contexts of one Chromium, visits the given URLs in each (concurrently, as
bt-capture does), takes the same full-page screenshots (same viewport), and OCRs each one in a
process pool as soon as it is written (forkserver, one worker per core, OMP_THREAD_LIMIT=1).
`--ocr same` runs tesseract with bt-capture's engine settings (grey, capture.ocr.SCALE upscale,
--oem 1 --psm capture.ocr.PSM, word boxes; not its region inversion or low-confidence re-reads);
`--ocr plain` runs tesseract with its defaults on the PNG as it is, `--ocr none` not at all.
`--route` adds what bt-capture's read-only guard adds: a `context.route("**/*")` handler that lets every
request through.
No menus, no extraction, no masks, no checks, no downloads, no manifest: that is the point.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from capture.browser import DISABLED_FEATURES, ENABLED_FEATURES, default_browser

os.environ["OMP_THREAD_LIMIT"] = "1"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
# The same Chromium as bt-capture runs (its feature switches included): the floor differs in code, not browser.
ARGS += ["--disable-features=" + ",".join(DISABLED_FEATURES), "--enable-features=" + ",".join(ENABLED_FEATURES)]


def ocr(path: str, mode: str) -> int:
    import pytesseract
    from PIL import Image, ImageOps

    img = Image.open(path)
    if mode == "plain":
        return len(pytesseract.image_to_string(img))
    from capture.ocr import PSM, SCALE  # the engine settings bt-capture uses, not its pre- and post-processing

    gray = ImageOps.grayscale(img.convert("RGB"))
    gray = gray.resize((gray.width * SCALE, gray.height * SCALE), Image.LANCZOS)
    if mode == "lib":  # the same, with libtesseract loaded once per worker (tesserocr), as bt-capture reads
        api = _api()
        api.SetImage(gray)
        return len(api.GetTSVText(0))
    return len(pytesseract.image_to_data(gray, config=f"--oem 1 --psm {PSM}"))


_APIS: list = []


def _api():
    if not _APIS:
        import tesserocr

        from capture.ocr import LANG, PSM, tessdata_dir

        _APIS.append(tesserocr.PyTessBaseAPI(path=tessdata_dir() or "", lang=LANG, psm=PSM,
                                             oem=tesserocr.OEM.LSTM_ONLY))
    return _APIS[0]


async def login_appliance(page, base: str, creds: dict) -> None:
    await page.goto(f"{base}/appliance")
    await page.get_by_role("button", name="I Agree").click()
    await page.wait_for_load_state()
    await page.fill("input[name=username]", creds["username"])
    await page.fill("input[name=password]", creds["password"])
    await page.get_by_role("button", name="Log In").click()
    await page.wait_for_load_state()


async def login_login(page, base: str, creds: dict) -> None:
    import pyotp

    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", creds["username"])
    await page.fill("input[name=password]", creds["password"])
    await page.get_by_role("button", name="Log In").click()
    await page.wait_for_load_state()
    await page.fill("input[name=code]", pyotp.TOTP(creds["totp_secret"]).now())
    await page.get_by_role("button", name="Verify").click()
    await page.wait_for_load_state()


async def _pass(route) -> None:
    await route.continue_()


_SIZE_JS = """() => { const r = document.scrollingElement || document.documentElement;
  return [r.scrollWidth, r.scrollHeight, document.documentElement.clientWidth, document.documentElement.clientHeight]; }"""


async def cdp_screenshot(page, cdp, path: str) -> None:
    """A full-page PNG in one DevTools call, the way capture.screenshot takes it (without the masks)."""
    import base64

    width, height, view_width, view_height = await page.evaluate(_SIZE_JS)
    shot = await cdp.send("Page.captureScreenshot", {
        "format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        "captureBeyondViewport": width > view_width or height > view_height, "optimizeForSpeed": True})
    Path(path).write_bytes(base64.b64decode(shot["data"]))


async def appliance(browser, a: dict, urls: list[str], out: Path, shot, route: bool = False,
                    shot_with: str = "playwright") -> None:
    """Both interfaces of one appliance, concurrently: log in, then every URL, with a full-page screenshot."""

    async def interface(name: str, login, creds: dict) -> None:
        ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
        if route:  # what bt-capture's read-only guard does: every request through a Python handler
            await ctx.route("**/*", _pass)
        page = await ctx.new_page()
        cdp = await ctx.new_cdp_session(page) if shot_with == "cdp" else None
        await login(page, a["base_url"], creds)
        for i, url in enumerate(u for u in urls if f"/{name}/" in u or u.endswith(f"/{name}")):
            await page.goto(url)
            for toggle in reversed(await page.get_by_text("Show details").all()):  # as bt-capture does
                await toggle.click()  # last first: a clicked toggle says "Hide details" and leaves the list
            path = str(out / f"{a['name']}-{name}-{i:02}.png")
            if cdp is not None:
                await cdp_screenshot(page, cdp, path)
            else:
                await page.screenshot(path=path, full_page=True)
            shot(path)
        await ctx.close()

    await asyncio.gather(interface("appliance", login_appliance, a["credentials"]["appliance"]),
                         interface("login", login_login, a["credentials"]["login"]))


async def main(info: dict, urls: list[str], out: Path, mode: str, jobs: int, route: bool = False,
               extra: list[str] = (), fleet: int = 0, shot_with: str = "playwright") -> dict:
    from playwright.async_api import async_playwright

    t = {"started": time.time()}
    out.mkdir(parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(jobs, mp_context=get_context("forkserver")) if mode != "none" else None
    futures: list[asyncio.Future] = []

    def shot(path: str) -> None:
        if pool is not None:
            futures.append(loop.run_in_executor(pool, ocr, path, mode))

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(default_browser()), args=ARGS + [
            f"--host-resolver-rules={info['host_resolver_rules']}",
            f"--ignore-certificate-errors-spki-list={','.join(info['spki_pins'])}", *extra])
        t["launched"] = time.time()
        if fleet:  # every appliance, `fleet` at a time, each on its own address
            base = info["appliances"][0]["base_url"]
            at_once = asyncio.Semaphore(fleet)

            async def one(a: dict) -> None:
                async with at_once:
                    await appliance(browser, a, [a["base_url"] + u[len(base):] for u in urls], out, shot, route,
                                    shot_with)

            await asyncio.gather(*(one(a) for a in info["appliances"]))
        else:
            await appliance(browser, info["appliances"][0], urls, out, shot, route, shot_with)
        t["browsed"] = time.time()
        await browser.close()
        t["closed"] = time.time()
    chars = await asyncio.gather(*futures)
    t["ocr_done"] = time.time()
    if pool is not None:
        pool.shutdown()
    t.update(pages=len(list(out.glob("*.png"))), ocr_chars=sum(chars), exited=time.time())
    return t


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("info", type=Path)
    ap.add_argument("urls", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("timings", type=Path)
    ap.add_argument("--ocr", choices=["same", "lib", "plain", "none"], default="same")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--route", action="store_true", help="route every request through a pass-through handler")
    ap.add_argument("--browser-arg", action="append", default=[], help="one more Chromium flag (repeatable)")
    ap.add_argument("--fleet", type=int, default=0, metavar="J",
                    help="every appliance of SIM_INFO, J at once, without OCR (benchmark 4)")
    ap.add_argument("--shot", choices=["playwright", "cdp"], default="playwright",
                    help="page.screenshot (default), or one Page.captureScreenshot as bt-capture takes it")
    o = ap.parse_args()
    result = asyncio.run(main(json.loads(o.info.read_text()), json.loads(o.urls.read_text()), o.out,
                              "none" if o.fleet else o.ocr, o.jobs, o.route, o.browser_arg, o.fleet, o.shot))
    o.timings.write_text(json.dumps(result))
