"""HTML file → PDF with Debian Chromium's page.pdf: one browser for many documents, offline, atomic output."""
from __future__ import annotations

import asyncio
import html
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from capture.browser import default_browser
from reports.files import write_atomic

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
FONT = "'Liberation Sans', Arial, 'DejaVu Sans', sans-serif"
MARGIN = {"top": "17mm", "bottom": "15mm", "left": "13mm", "right": "13mm"}

# Chromium draws these outside the page body: no stylesheet reaches them, and the font size defaults to 0.
_BAR = (f'<div style="font-family:{FONT};font-size:7.5pt;color:#5b6573;width:100%;margin:0 13mm;'
        'display:flex;justify-content:space-between;gap:8mm;-webkit-print-color-adjust:exact">{left}{right}</div>')


def header_template(header: str, title: str) -> str:
    return _BAR.format(left=f"<span>{html.escape(header)}</span>", right=f"<span>{html.escape(title)}</span>")


def footer_template(footer: str) -> str:
    pages = 'page <span class="pageNumber"></span> of <span class="totalPages"></span>'
    return _BAR.format(left=f"<span>{html.escape(footer)}</span>", right=f"<span>{pages}</span>")


class PdfRenderer:
    """`async with PdfRenderer() as r: await r.render(...)` — launch Chromium once, print many documents.

    The context runs without JavaScript and with every non-file request aborted: a report must render
    from its own folder alone, and nothing copied from an appliance may execute or phone home.
    """

    def __init__(self, browser: Path | None = None, *, paper: str = "A4") -> None:
        self.browser_path, self.paper = Path(browser or default_browser()), paper
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._spare: Any = None  # a page opened ahead by warm()
        self.timings: list[tuple[str, float]] = []

    async def __aenter__(self) -> "PdfRenderer":
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(executable_path=str(self.browser_path), args=ARGS)
            self._context = await self._browser.new_context(java_script_enabled=False, offline=True)
            await self._context.route("**/*", _offline_only)
        except BaseException:
            await self._pw.stop()
            raise
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            await self._pw.stop()

    async def warm(self) -> None:
        """Open the next page ahead of time and lay out a line of text in the report font, so that
        render() finds a renderer process running and the fonts loaded (about 0.3 s on a cold browser)."""
        if self._spare is None:
            self._spare = await self._context.new_page()
            await self._spare.set_content(f'<p style="font-family:{FONT}">bt-capture <b>report</b></p>')

    async def render(self, html_path: Path, pdf_path: Path, *, title: str, header: str,
                     footer: str | None = None) -> float:
        """Print html_path to pdf_path (replaced atomically, mode 0600); return the seconds it took."""
        started = time.monotonic()
        page, self._spare = self._spare or await self._context.new_page(), None
        try:
            # Load and lay out for print from the start: what only the screen shows (lazy images in
            # particular) is never fetched, decoded or laid out twice.
            await page.emulate_media(media="print")
            await page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            data = await page.pdf(
                format=self.paper, print_background=True, display_header_footer=True,
                header_template=header_template(header, title),
                footer_template=footer_template(footer if footer is not None else title),
                margin=MARGIN, outline=True, tagged=True)
        finally:
            await page.close()
        write_atomic(Path(pdf_path), data)
        seconds = time.monotonic() - started
        self.timings.append((str(pdf_path), seconds))
        return seconds


async def _offline_only(route: Any) -> None:
    if route.request.url.startswith(("file:", "data:")):
        await route.continue_()
    else:
        await route.abort("blockedbyclient")


async def html_to_pdf(html_path: Path, pdf_path: Path, *, title: str, header: str,
                      browser: Path | None = None) -> None:
    """One document: launch Chromium, print, close. Use PdfRenderer to print several with one browser."""
    async with PdfRenderer(browser) as r:
        await r.render(html_path, pdf_path, title=title, header=header)


class PrintJob:
    """One document printed in a thread with an event loop of its own (callable from inside another loop).

    start() launches Chromium and opens the page at once; render() hands it the finished HTML. Whoever
    starts a job calls render() or cancel() exactly once.
    """

    def __init__(self, browser: Path | None = None) -> None:
        self.browser = browser
        self._work: tuple[Path, Path, str, str] | None = None
        self._go = threading.Event()
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="print-job", daemon=True)

    def start(self) -> "PrintJob":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            self._errors.append(e)

    async def _main(self) -> None:
        async with PdfRenderer(self.browser) as r:
            await r.warm()
            await asyncio.to_thread(self._go.wait)
            if self._work:
                html_path, pdf_path, title, header = self._work
                await r.render(html_path, pdf_path, title=title, header=header)

    def render(self, html_path: Path, pdf_path: Path, *, title: str, header: str) -> None:
        """Print and wait; raise what went wrong (a launch failure included)."""
        self._work = (html_path, pdf_path, title, header)
        self._go.set()
        self._thread.join()
        if self._errors:
            raise self._errors[0]

    def cancel(self) -> None:
        self._go.set()
        self._thread.join()
