"""One Chromium for the whole run; a fresh context per interface, with TLS trust and the request guard."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from capture.errors import BrowserMissing

BASE_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
    "--font-render-hinting=none",
]
VIEWPORT = {"width": 1280, "height": 900}

# RenderDocument gives every new document a new frame host (and compositor frame sink), even within one
# site. Off, a menu step costs ~25% less CPU (docs/benchmarks.md); it changes nothing a page can see.
# Chromium keeps only the last --disable-features it is given, and Playwright passes its own list first,
# so ours repeats Playwright's (playwright-core's chromiumSwitches; tests/test_browser_flags.py checks the
# installed driver still asks for no more than this).
PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding", "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin", "OptimizationHints",
    "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch", "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
]
DISABLED_FEATURES = PLAYWRIGHT_DISABLED_FEATURES + ["RenderDocument"]

# Playwright also turns on CDPScreenshotNewSurface: a full-page screenshot then gets a compositor surface
# of its own. Without it Chromium resizes the page's own surface for the capture, as Playwright itself did
# for years (PLAYWRIGHT_LEGACY_SCREENSHOT brings that back): measured here ~10 ms less CPU per full-page
# screenshot (a fifth of its cost, most of it in the GPU process), with the same pixels on every page we
# capture (tests/test_browser_flags.py). The last --enable-features wins, as with --disable-features.
PLAYWRIGHT_ENABLED_FEATURES = ["CDPScreenshotNewSurface", "SkipListAccountsWithoutGaiaCookies"]
ENABLED_FEATURES = [f for f in PLAYWRIGHT_ENABLED_FEATURES if f != "CDPScreenshotNewSurface"]

# Debian's chromium-headless-shell is the same Chromium build without the desktop browser around it, and
# what Playwright itself runs for headless Chromium. Measured here: ~40% less CPU per appliance than
# /usr/bin/chromium --headless, and half the memory (docs/benchmarks.md); chromium is the fallback.
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
FULL_CHROMIUM = Path("/usr/bin/chromium")  # also Arch's
# Fedora's builds (packages chromium-headless and chromium), tried only where Debian's are absent.
OTHER_BROWSERS = (Path("/usr/lib64/chromium-browser/headless_shell"), Path("/usr/bin/chromium-browser"))


def default_browser() -> Path:
    """$BTC_CHROMIUM, else the headless shell when installed, else /usr/bin/chromium (or Fedora's builds)."""
    if os.environ.get("BTC_CHROMIUM"):
        return Path(os.environ["BTC_CHROMIUM"])
    for path in (HEADLESS_SHELL, FULL_CHROMIUM, *OTHER_BROWSERS):
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return FULL_CHROMIUM


class Browser:
    """Launch once with every appliance's SPKI pin and hostname mapping; hand out contexts."""

    def __init__(self, executable: Path, *, spki_pins: list[str] = (), resolver_rules: list[str] = (),
                 downloads: Path | None = None, interceptor: Any = None) -> None:
        self.executable = Path(executable)
        self.spki_pins = sorted(set(spki_pins))
        self.resolver_rules = list(dict.fromkeys(resolver_rules))
        self.downloads = downloads
        self._pw: Any = None
        self.browser: Any = None
        self._interceptor: Any = None
        self._make_interceptor = interceptor  # a replay's (capture.replay); default: the guard's own

    def args(self) -> list[str]:
        args = list(BASE_ARGS) + ["--disable-features=" + ",".join(DISABLED_FEATURES),
                                  "--enable-features=" + ",".join(ENABLED_FEATURES)]
        if self.spki_pins:
            # Chromium cannot take a CA file; Python verified the chain, and the browser accepts exactly
            # the key it presented.
            args.append("--ignore-certificate-errors-spki-list=" + ",".join(self.spki_pins))
        if self.resolver_rules:
            args.append("--host-resolver-rules=" + ", ".join(self.resolver_rules))
        return args

    async def start(self) -> "Browser":
        if not (self.executable.exists() and os.access(self.executable, os.X_OK)):
            raise BrowserMissing(f"Chromium not found at {self.executable} "
                                 "(apt-get install chromium-headless-shell, or set browser=)")
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        try:
            self.browser = await self._pw.chromium.launch(
                executable_path=str(self.executable), args=self.args(), headless=True,
                downloads_path=str(self.downloads) if self.downloads else None)
        except Exception as e:
            await self._pw.stop()
            raise BrowserMissing(f"Chromium at {self.executable} did not start: {str(e).splitlines()[0]}") from None
        return self

    async def interceptor(self) -> Any:
        """The browser-wide pause point of the read-only guard (capture.guard), started on first use."""
        if self._interceptor is None:  # one, however many interfaces ask at once
            from capture.guard import Interceptor

            make = self._make_interceptor or Interceptor
            self._interceptor = asyncio.ensure_future(make().start(self.browser))
        return await self._interceptor

    async def context(self, *, insecure: bool = False) -> Any:
        return await self.browser.new_context(
            viewport=VIEWPORT, accept_downloads=True, ignore_https_errors=insecure, locale="en-US",
            timezone_id="UTC", color_scheme="light", reduced_motion="reduce", service_workers="block")

    async def new_page(self, html: str | None = None) -> Any:
        """A blank page for rendering (dossier PDF)."""
        ctx = await self.browser.new_context(viewport=VIEWPORT, java_script_enabled=True)
        page = await ctx.new_page()
        if html is not None:
            await page.set_content(html)
        return page

    async def close(self) -> None:
        try:
            if self.browser:
                await self.browser.close()
        finally:
            if self._pw:
                await self._pw.stop()

    async def __aenter__(self) -> "Browser":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
