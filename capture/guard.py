"""The read-only request guard: only reads pass, plus the few posts a flow step explicitly allows.

One `Interceptor` per browser pauses, at the browser level (CDP `Fetch`), every request that could change
something on a server: documents (navigations and form posts), XHR and fetch calls, beacons and the like,
from every page, popup, iframe and worker. Stylesheets, scripts, images, fonts and media are GETs by
definition; they are never paused, so Chromium's own cache keeps working (Playwright's request routing
would switch it off and make every asset a round trip through the driver).

Each interface's `Guard` owns its page's frames; a request from a frame no guard owns (a popup, a
cross-site iframe) is judged by the guard of the appliance it goes to (or came from), with no allowance
ever applied to it: only the session's own page may send the form posts a step allows.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import re
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

from capture.redact import Redactor

log = logging.getLogger("bt-capture")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Every resource type a Fetch filter takes, but the ones that are GETs by definition (Stylesheet, Script,
# Image, Font, Media): Chromium files anything else (prefetches, manifests...) under Other.
WATCHED_TYPES = ("Document", "XHR", "Fetch", "EventSource", "Ping", "CSPViolationReport", "Other")


class PausedRequest:
    """A paused request, with the little of Playwright's Request/Route interface the guard's users need."""

    def __init__(self, cdp: Any, event: dict[str, Any]) -> None:
        self._cdp = cdp
        self.id = event["requestId"]
        req = event["request"]
        self.url: str = req["url"]
        self.method: str = req["method"]
        self.headers: dict[str, str] = dict(req.get("headers") or {})
        self.resource_type: str = event.get("resourceType", "Other")
        self.frame_id: str = event.get("frameId", "")
        entries = req.get("postDataEntries")
        if entries:
            self.post_data_buffer: bytes | None = b"".join(base64.b64decode(e.get("bytes", "")) for e in entries)
        elif req.get("postData") is not None:
            self.post_data_buffer = req["postData"].encode()
        else:
            self.post_data_buffer = None

    def is_navigation_request(self) -> bool:
        return self.resource_type == "Document"

    async def all_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    async def continue_(self) -> None:
        await self._cdp.send("Fetch.continueRequest", {"requestId": self.id})

    async def abort(self, reason: str = "blockedbyclient") -> None:
        await self._cdp.send("Fetch.failRequest", {"requestId": self.id,
                                                   "errorReason": "BlockedByClient" if reason == "blockedbyclient" else "Aborted"})

    async def fulfill(self, *, status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        await self._cdp.send("Fetch.fulfillRequest", {
            "requestId": self.id, "responseCode": status,
            "responseHeaders": [{"name": k, "value": str(v)} for k, v in (headers or {}).items()
                                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")],
            "body": base64.b64encode(body).decode()})


class Interceptor:
    """The browser-wide pause point; hands each request to the guard that owns it."""

    # What is paused, and how a paused request is answered: a replay (capture.replay) pauses every type and
    # answers from its recording instead of the network.
    types: tuple[str, ...] | None = WATCHED_TYPES  # None: every request

    def __init__(self) -> None:
        self.cdp: Any = None
        self.guards: list[Guard] = []
        self.frames: dict[str, Guard] = {}
        self.unowned: list[str] = []  # blocked requests no appliance's guard could be found for
        self._tasks: set[asyncio.Task] = set()

    async def start(self, browser: Any) -> "Interceptor":
        self.cdp = await browser.new_browser_cdp_session()
        self.cdp.on("Fetch.requestPaused", self._on_paused)
        patterns = [{"urlPattern": "*", "resourceType": t} for t in self.types] if self.types else [{"urlPattern": "*"}]
        await self.cdp.send("Fetch.enable", {"patterns": patterns})
        return self

    def paused(self, event: dict[str, Any]) -> PausedRequest:
        return PausedRequest(self.cdp, event)

    def _on_paused(self, event: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._decide(self.paused(event)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _owner(self, req: PausedRequest) -> tuple[Guard | None, bool]:
        """The guard for this request, and whether it comes from that guard's own page."""
        own = self.frames.get(req.frame_id)
        if own is not None:
            return own, True
        hosts = [urlsplit(req.url).hostname, urlsplit(req.headers.get("Referer") or req.headers.get("referer") or "").hostname]
        for host in hosts:
            for g in self.guards:
                if host and host in g.hosts:
                    return g, False
        return None, False

    async def _decide(self, req: PausedRequest) -> None:
        guard, own = self._owner(req)
        try:
            if guard is not None:
                await guard.handle(req, own_page=own)
            elif req.method in SAFE_METHODS:
                await req.continue_()
            else:
                self.unowned.append(f"{req.method} {urlsplit(req.url).path}")
                log.warning("read-only guard: blocked %s to a host no appliance owns", req.method)
                await req.abort()
        except Exception as e:  # usually the page or browser went away mid-decision
            log.debug("guard: %s", e)
            try:
                await req.abort()  # fail closed: a request the guard could not judge never goes out
            except Exception:
                pass

    def add(self, guard: "Guard") -> None:
        self.guards.append(guard)

    def remove(self, guard: "Guard") -> None:
        if guard in self.guards:
            self.guards.remove(guard)
        for fid in [f for f, g in self.frames.items() if g is guard]:
            del self.frames[fid]


class Guard:
    """One interface's rules: blocks every state-changing request unless a step allowed it.

    An allowance covers only navigation requests (form submissions) of the session's own page, so a
    background XHR, an iframe or a popup cannot use up the window opened for a login or download form.
    """

    def __init__(self, destructive_url: list[str], redactor: Redactor) -> None:
        self.destructive = [re.compile(p) for p in destructive_url]
        self.redactor = redactor
        self.blocked: list[str] = []
        self.allowed: list[str] = []
        self.hosts: set[str] = set()
        self._purpose: str | None = None
        self._left = 0
        self.divert: Any = None  # one-shot: an allowed form submission bt-capture sends itself (downloads)
        self._interceptor: Interceptor | None = None

    async def attach(self, interceptor: Interceptor, page: Any, hosts: list[str] = ()) -> None:
        """Own this page's frames (call before it loads anything) and the appliance's host names."""
        self.hosts.update(h.lower() for h in hosts if h)
        self._interceptor = interceptor
        interceptor.add(self)
        cdp = await page.context.new_cdp_session(page)
        try:
            tree = (await cdp.send("Page.getFrameTree"))["frameTree"]
        finally:
            await cdp.detach()
        stack = [tree]
        while stack:
            node = stack.pop()
            interceptor.frames[node["frame"]["id"]] = self
            stack += node.get("childFrames", [])

    def detach(self) -> None:
        if self._interceptor is not None:
            self._interceptor.remove(self)
            self._interceptor = None

    def _describe(self, request: Any) -> str:
        u = urlsplit(request.url)
        return self.redactor.scrub(f"{request.method} {u.path}{'?' + u.query if u.query else ''}")

    def _dangerous_url(self, url: str) -> bool:
        u = urlsplit(url)
        target = f"{u.path}?{u.query}"
        return any(p.search(target) for p in self.destructive)

    async def handle(self, request: PausedRequest, *, own_page: bool = True) -> None:
        safe = request.method in SAFE_METHODS and not (
            request.is_navigation_request() and self._dangerous_url(request.url))
        if safe:
            await request.continue_()
            return
        if own_page and self._left > 0 and request.is_navigation_request():
            self._left -= 1
            self.allowed.append(f"{self._describe(request)} ({self._purpose})")
            divert, self.divert = self.divert, None
            await (divert(request, request) if divert else request.continue_())
            return
        self.blocked.append(self._describe(request))
        await request.abort("blockedbyclient")

    @contextmanager
    def allow(self, purpose: str, count: int = 1) -> Iterator[None]:
        self._purpose, self._left = purpose, count
        try:
            yield
        finally:
            self._purpose, self._left = None, 0
