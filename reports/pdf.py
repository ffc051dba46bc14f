"""HTML file → PDF with Debian Chromium, offline, atomic output: page.pdf for many documents through one
browser (dossiers), or Chromium's own --print-to-pdf for a single document (diff.pdf)."""
from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from capture.browser import default_browser
from reports.files import temp_beside, write_atomic

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

    def __init__(self, browser: Path | None = None, *, paper: str = "A4", running: Any = None) -> None:
        """`running`: a Playwright Browser already up (the one a capture ran in), to print in a context of
        its own instead of launching another Chromium (~0.45 s); it is left running."""
        self.browser_path, self.paper = Path(browser or default_browser()), paper
        self._pw: Any = None
        self._browser: Any = running
        self._own = running is None
        self._context: Any = None
        self.timings: list[tuple[str, float]] = []

    async def __aenter__(self) -> "PdfRenderer":
        if self._own:
            from playwright.async_api import async_playwright

            self._pw = await async_playwright().start()
        try:
            if self._own:
                self._browser = await self._pw.chromium.launch(executable_path=str(self.browser_path), args=ARGS)
            self._context = await self._browser.new_context(java_script_enabled=False, offline=True)
            await self._context.route("**/*", _offline_only)
        except BaseException:
            if self._own:
                await self._pw.stop()
            raise
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        if not self._own:
            await self._context.close()
            return
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            await self._pw.stop()

    async def render(self, html_path: Path, pdf_path: Path, *, title: str, header: str,
                     footer: str | None = None) -> float:
        """Print html_path to pdf_path (replaced atomically, mode 0600); return the seconds it took."""
        started = time.monotonic()
        page = await self._context.new_page()
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


def css_string(text: str) -> str:
    """text as a quoted CSS string for @page margin boxes: every character but letters, digits and spaces
    hex-escaped, so nothing in it can close the string or the <style> element."""
    # The space after each escape ends it (and is consumed with it), so a space that follows survives.
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x} " for c in text) + '"'


def print_to_pdf(html_path: Path, pdf_path: Path, *, browser: Path | None = None, timeout: float = 120.0) -> float:
    """One document through Chromium's own --print-to-pdf; return the seconds it took.

    No Playwright driver and no second process to talk to: ~0.3 s of start-up against ~0.7 s for a
    driven browser. The document carries its running header and footer as @page margin boxes, and a
    Content-Security-Policy that lets no script run and nothing but local files load; every host name
    resolves to nothing besides. Written beside pdf_path and renamed (mode 0600).
    """
    started = time.monotonic()
    exe = Path(browser or default_browser())
    tmp = temp_beside(Path(pdf_path), ".pdf")
    profile = tempfile.mkdtemp(prefix="bt-capture-print-")
    cmd = [str(exe), "--headless", *ARGS, f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--no-pdf-header-footer", "--generate-pdf-document-outline", f"--print-to-pdf={tmp}",
           Path(html_path).resolve().as_uri()]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RuntimeError(f"Chromium did not print {Path(html_path).name} within {timeout:.0f} s") from None
        if proc.returncode != 0 or tmp.stat().st_size == 0:
            lines = [ln for ln in err.decode(errors="replace").splitlines() if re.search(r"ERROR|FATAL", ln)]
            raise RuntimeError(f"Chromium could not print {Path(html_path).name} (exit {proc.returncode})"
                               + (f": {lines[-1][-200:]}" if lines else ""))
        os.replace(tmp, pdf_path)
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(profile, ignore_errors=True)
    return time.monotonic() - started
