"""`run --record`: keep what the browser was served for each interface, sanitized, as a replayable recording."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from capture import recording_index as index
from capture.records import PageRecord
from capture.redact import Redactor
from capture.sanitize import Sanitizer

log = logging.getLogger("bt-capture")

# What a replay needs to load and run the pages; images and fonts only when asked (they only decorate).
KEPT = {"document", "script", "stylesheet", "xhr", "fetch"}
ASSETS = {"image", "font"}
TEXT_TYPES = ("text/", "javascript", "json", "xml", "svg")
EXT = {"document": "html", "script": "js", "stylesheet": "css", "xhr": "txt", "fetch": "txt"}
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)


@dataclass
class Exchange:
    """One request the browser made and what came back (before sanitizing: memory only, never disk)."""

    seq: int
    interface: str
    method: str
    url: str
    resource_type: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    size: int | None = None  # of a download, whose bytes are never kept
    download: bool = False


@dataclass
class Visit:
    """A captured page: how it was reached, its title, and its rendered DOM (frames included)."""

    flow: str
    interface: str
    title: str
    menu_path: list[str]
    url: str
    page_title: str
    status: str
    documents: list[tuple[str, str]] = field(default_factory=list)  # (frame url, rendered HTML)
    screenshot: bytes | None = None  # as masked for the snapshot


class Recorder:
    """Collects in memory while an appliance is captured; writes once, sanitized, when it is done. Secrets
    the capture learns on a later page (the masks' finds) are then known for the earlier pages too."""

    def __init__(self, folder: Path, appliance: dict[str, Any], *, assets: bool = False, screenshots: bool = True,
                 sanitize: bool = True, not_secret: list[str] = ()) -> None:
        self.folder = folder
        self.appliance = appliance  # name, URLs, deployment, plan shape: what a replay needs to run the same flows
        self.hosts = {urlsplit(u).hostname for u in appliance["urls"].values()}
        self.types = KEPT | (ASSETS if assets else set())
        self.screenshots = screenshots
        self.sanitize = sanitize  # False only in the test that proves the sweep catches an unsanitized recording
        self.not_secret = list(not_secret)
        self.exchanges: list[Exchange] = []
        self.visits: list[Visit] = []
        self._seq = 0
        self._pending: dict[Any, Exchange] = {}
        self._tasks: set[asyncio.Task] = set()

    def attach(self, context: Any, interface: str) -> None:
        """Watch every request of one interface's browser context (its helper tabs share it)."""
        context.on("request", lambda r: self._request(r, interface))
        context.on("requestfinished", lambda r: self._spawn(self._finished(r)))
        context.on("requestfailed", lambda r: self._pending.pop(r, None))

    def _request(self, request: Any, interface: str) -> None:
        if urlsplit(request.url).hostname not in self.hosts:
            return
        self._seq += 1  # the order requests were made in: a replay serves repeats of one URL in this order
        self._pending[request] = Exchange(self._seq, interface, request.method, request.url, request.resource_type)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finished(self, request: Any) -> None:
        ex = self._pending.pop(request, None)
        if ex is None:
            return
        try:
            resp = await request.response()
            if resp is None:
                return
            ex.status, ex.headers = resp.status, dict(resp.headers)
            disposition = ex.headers.get("content-disposition", "").lower()
            if "attachment" in disposition:  # a download: its size and headers, never its bytes
                ex.download = True
                length = ex.headers.get("content-length", "")
                ex.size = int(length) if length.isdigit() else None
            elif ex.resource_type in self.types and not 300 <= ex.status < 400:
                ex.body = await resp.body()
            elif ex.resource_type not in self.types and not 300 <= ex.status < 400:
                return
        except Exception as e:  # the page went away before its body could be read: the replay serves a 404
            log.debug("recording: no body for %s: %s", request.url, e)
        self.exchanges.append(ex)

    async def visit(self, page: Any, rec: PageRecord, screenshot: Path | None = None) -> None:
        """The rendered DOM of the page just captured, each same-origin frame's document too."""
        v = Visit(rec.flow, rec.interface, rec.title, list(rec.menu_path), rec.url or "", rec.page_title or "",
                  rec.status)
        if self.screenshots and screenshot is not None and screenshot.is_file():
            v.screenshot = await asyncio.to_thread(screenshot.read_bytes)
        if rec.status == "ok":
            for frame in page.frames:
                try:
                    if urlsplit(frame.url).hostname in self.hosts:
                        v.documents.append((frame.url, await frame.content()))
                except Exception:  # a frame that navigated meanwhile
                    continue
        self.visits.append(v)

    async def finish(self, redactor: Redactor) -> Path:
        """Sanitize everything with every secret the run knows, then write the recording (0600/0700)."""
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        san = Sanitizer(redactor, not_secret=self.not_secret)
        return await asyncio.to_thread(self._write, san)

    def _text(self, san: Sanitizer, text: str, where: str, *, html: bool = False) -> str:
        return san.text(text, where, html=html) if self.sanitize else text

    def _write(self, san: Sanitizer) -> Path:
        files: dict[str, bytes] = {}
        bodies: dict[bytes, str] = {}
        rows = []
        for ex in sorted(self.exchanges, key=lambda e: e.seq):
            where = f"{ex.method} {urlsplit(ex.url).path}"
            row: dict[str, Any] = {"seq": ex.seq, "interface": ex.interface, "method": ex.method,
                                   "url": self._text(san, ex.url, where), "type": ex.resource_type,
                                   "status": ex.status, "body": None}
            row["headers"] = san.headers(ex.headers, where) if self.sanitize else ex.headers
            if ex.download:
                row.update(download=True, size=ex.size)
                san._count("downloaded file (size and headers kept, no bytes)", where)
            elif ex.body is not None:
                data = ex.body
                if any(t in row["headers"].get("content-type", "") for t in TEXT_TYPES):
                    text = data.decode("utf-8", errors="replace")
                    data = self._text(san, text, where, html=ex.resource_type == "document").encode()
                if data not in bodies:  # a stylesheet or script served on every page is kept once
                    name = f"bodies/{hashlib.sha256(data).hexdigest()[:16]}.{EXT.get(ex.resource_type, 'bin')}"
                    bodies[data] = name
                    files[name] = data
                row["body"] = bodies[data]
            rows.append(row)
        visits = []
        for v in self.visits:
            where = f"page {v.flow}"
            doc_files = []
            for i, (url, html) in enumerate(v.documents):
                # The static view: no scripts (the DOM is already rendered), stylesheets from the recording.
                html = _SCRIPT.sub("", html)
                name = f"pages/{v.flow}{'' if i == 0 else f'.frame{i}'}.html"
                files[name] = self._text(san, html, where, html=True).encode()
                doc_files.append({"url": self._text(san, url, where), "file": name})
            shot = None
            if v.screenshot is not None:
                shot = f"pages/{v.flow}.png"  # as masked for the snapshot: no secret in its pixels
                files[shot] = v.screenshot
            visits.append({"flow": v.flow, "interface": v.interface, "title": v.title, "menu_path": v.menu_path,
                           "url": self._text(san, v.url, where), "page_title": self._text(san, v.page_title, where),
                           "status": v.status, "documents": doc_files, "screenshot": shot})
        return index.write(self.folder, self.appliance, files, rows, visits, san.report(),
                           sanitized=self.sanitize)
