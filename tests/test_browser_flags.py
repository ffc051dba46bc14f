"""Chromium keeps only the last --disable-features (and --enable-features) switch: ours must repeat every
feature Playwright turns off (and on, but the screenshot surface, which changes no pixel)."""
from __future__ import annotations

import io
import re
from pathlib import Path

import playwright
from PIL import Image, ImageChops

from captools import run_async
from capture import masking
from capture.browser import (DISABLED_FEATURES, ENABLED_FEATURES, PLAYWRIGHT_DISABLED_FEATURES,
                             PLAYWRIGHT_ENABLED_FEATURES, Browser, default_browser)


def _playwright_features(kind: str) -> list[str]:
    lib = Path(playwright.__file__).parent / "driver" / "package" / "lib"
    for js in sorted(lib.rglob("*.js")):
        text = js.read_text(errors="replace")
        m = re.search(kind + r"Features\s*=\s*(?:\([^)]*\)\s*=>\s*)?\[(.*?)\]\s*(?:\.filter|;)", text, re.S)
        if m and f"--{kind[:-1]}-features=" in text:
            body = re.sub(r"//[^\n]*", "", m.group(1))
            return re.findall(r"\"([A-Za-z0-9]+)\"", body)
    raise AssertionError(f"no {kind}Features list in Playwright's driver under {lib}: "
                         f"check how it passes --{kind[:-1]}-features now (capture/browser.py)")


def _playwright_disabled_features() -> list[str]:
    return _playwright_features("disabled")


def test_our_disable_features_repeat_playwrights() -> None:
    theirs = _playwright_disabled_features()
    assert len(theirs) >= 5, theirs
    missing = sorted(set(theirs) - set(PLAYWRIGHT_DISABLED_FEATURES))
    assert not missing, f"Playwright now also disables {missing}: add them to PLAYWRIGHT_DISABLED_FEATURES"


def test_the_launch_arguments_carry_the_whole_list_once() -> None:
    args = Browser(Path("/usr/bin/chromium")).args()
    switches = [a for a in args if a.startswith("--disable-features=")]
    assert len(switches) == 1
    assert switches[0].split("=", 1)[1].split(",") == DISABLED_FEATURES
    assert "RenderDocument" in DISABLED_FEATURES


def test_our_enable_features_repeat_playwrights_but_the_screenshot_surface() -> None:
    theirs = _playwright_features("enabled")
    assert "CDPScreenshotNewSurface" in theirs, theirs
    missing = sorted(set(theirs) - set(PLAYWRIGHT_ENABLED_FEATURES))
    assert not missing, f"Playwright now also enables {missing}: add them to PLAYWRIGHT_ENABLED_FEATURES"
    args = Browser(Path("/usr/bin/chromium")).args()
    switches = [a for a in args if a.startswith("--enable-features=")]
    assert switches == ["--enable-features=" + ",".join(ENABLED_FEATURES)]
    assert "CDPScreenshotNewSurface" not in ENABLED_FEATURES and "SkipListAccountsWithoutGaiaCookies" in ENABLED_FEATURES


_TALL = ("<html><head><style>body{margin:0;font:14px sans-serif} header{position:fixed;top:0;left:0;right:0;"
         "height:40px;background:#036;color:#fff} nav{position:sticky;top:40px;background:#eee} .vh{height:50vh;"
         "background:linear-gradient(#fff,#9cf)} footer{position:fixed;bottom:0;width:100%;background:#c33}</style>"
         "</head><body><header>Fixed header</header><div style='height:40px'></div><nav>Sticky nav</nav>"
         "<div class=vh>half the viewport</div>"
         + "".join(f"<p>Row {i} <input type=password value=canary{i}></p>" for i in range(80))
         + "<footer>fixed footer</footer></body></html>")


class _NewSurface(Browser):
    def args(self) -> list[str]:
        return [a if not a.startswith("--enable-features=") else "--enable-features=" + ",".join(PLAYWRIGHT_ENABLED_FEATURES)
                for a in super().args()]


async def _full_page(browser: Browser) -> Image.Image:
    await browser.start()
    try:
        ctx = await browser.context()
        page = await ctx.new_page()
        await page.set_content(_TALL)
        shot = await masking.take(page, await ctx.new_cdp_session(page), {})
        assert len(shot.masked) == 80  # every password field
        return Image.open(io.BytesIO(shot.png)).convert("RGB")
    finally:
        await browser.close()


def test_full_page_screenshots_without_the_new_surface_have_the_same_pixels() -> None:
    """A page three viewports tall with fixed, sticky and viewport-sized parts, and masked fields."""
    ours = run_async(_full_page(Browser(default_browser())))
    theirs = run_async(_full_page(_NewSurface(default_browser())))
    assert ours.size == theirs.size and ours.size[1] > 3000
    assert ImageChops.difference(ours, theirs).getbbox() is None
    # and the capture is of the whole page: the footer's red is at the bottom of the viewport it was drawn in
    assert ours.getpixel((5, 5)) == (0, 51, 102)
