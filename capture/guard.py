"""The read-only request guard: only reads pass, plus the few posts a flow step explicitly allows."""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

from capture.redact import Redactor

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_ASSET = r".*\.(?:css|js|mjs|png|gif|jpe?g|svg|ico|webp|woff2?|ttf|map)(?:[?#]|$)"
WATCHED = re.compile(rf"^(?!{_ASSET})", re.I)
STATIC = re.compile(rf"^{_ASSET}", re.I)
CACHEABLE_TYPES = {"stylesheet", "script", "image", "font"}


class AssetCache:
    """The HTTP cache Playwright switches off while it routes requests, for static assets only.

    Routing (which the guard needs) makes Chromium fetch every stylesheet, script and image again on
    each page: one more round trip per asset and page, which on a distant appliance costs more than the
    page itself. This keeps what the appliance itself declared cacheable (a GET answered 200 with
    ``Cache-Control: max-age`` > 0, and neither ``no-store`` nor ``no-cache``) and answers later requests
    for the same URL from memory until max-age runs out, as the browser's cache would. Bounded in size.
    """

    ITEM_LIMIT = 4 << 20
    TOTAL_LIMIT = 64 << 20
    _DROP = {"content-encoding", "content-length", "transfer-encoding", "set-cookie"}

    def __init__(self) -> None:
        self.items: dict[str, tuple[float, int, dict[str, str], bytes]] = {}
        self.size = 0
        self.hits = 0

    @staticmethod
    def max_age(headers: dict[str, str]) -> float:
        cc = headers.get("cache-control", "").lower()
        if "no-store" in cc or "no-cache" in cc:
            return 0.0
        m = re.search(r"(?:^|[,\s])max-age\s*=\s*(\d+)", cc)
        return float(m.group(1)) if m else 0.0

    def get(self, url: str) -> tuple[int, dict[str, str], bytes] | None:
        item = self.items.get(url)
        if item is None:
            return None
        if item[0] < time.monotonic():
            self.size -= len(self.items.pop(url)[3])
            return None
        self.hits += 1
        return item[1:]

    async def on_response(self, response: Any) -> None:
        try:
            request = response.request
            url = request.url
            if (url in self.items or request.method != "GET" or response.status != 200
                    or request.resource_type not in CACHEABLE_TYPES):
                return
            headers = await response.all_headers()
            age = self.max_age(headers)
            if age <= 0:
                return
            body = await response.body()
        except Exception:  # the page moved on, the body was evicted: simply not cached
            return
        if len(body) > self.ITEM_LIMIT or self.size + len(body) > self.TOTAL_LIMIT:
            return
        keep = {k: v for k, v in headers.items() if k.lower() not in self._DROP}
        self.items[url] = (time.monotonic() + age, response.status, keep, body)
        self.size += len(body)

    async def serve(self, route: Any, request: Any) -> bool:
        """Answer from memory if this GET for an asset is cached; False when the request must go out."""
        if request.method != "GET" or request.resource_type not in CACHEABLE_TYPES:
            return False
        hit = self.get(request.url)
        if hit is None:
            return False
        status, headers, body = hit
        await route.fulfill(status=status, headers=headers, body=body)
        return True


class Guard:
    """Attach to a browser context; blocks every state-changing request unless a step allowed it.

    An allowance covers only navigation requests (form submissions), so a background XHR cannot use
    up the window opened for a login or download form.
    """

    def __init__(self, destructive_url: list[str], redactor: Redactor) -> None:
        self.destructive = [re.compile(p) for p in destructive_url]
        self.redactor = redactor
        self.blocked: list[str] = []
        self.allowed: list[str] = []
        self._purpose: str | None = None
        self._left = 0
        self.divert: Any = None  # one-shot: an allowed form submission bt-capture sends itself (downloads)
        self.assets = AssetCache()

    async def attach(self, context: Any) -> None:
        # Stylesheets, scripts, images and fonts are GETs and change nothing: they only meet the asset
        # cache (routing switched the browser's own cache off), never the guard's rules.
        await context.route(WATCHED, self._handle)
        await context.route(STATIC, self._asset)
        context.on("response", self.assets.on_response)

    async def _asset(self, route: Any, request: Any) -> None:
        if request.method not in SAFE_METHODS:
            await self._handle(route, request)
        elif not await self.assets.serve(route, request):
            await route.continue_()

    def _describe(self, request: Any) -> str:
        u = urlsplit(request.url)
        return self.redactor.scrub(f"{request.method} {u.path}{'?' + u.query if u.query else ''}")

    def _dangerous_url(self, url: str) -> bool:
        u = urlsplit(url)
        target = f"{u.path}?{u.query}"
        return any(p.search(target) for p in self.destructive)

    async def _handle(self, route: Any, request: Any) -> None:
        safe = request.method in SAFE_METHODS and not (
            request.is_navigation_request() and self._dangerous_url(request.url))
        if safe:
            if not await self.assets.serve(route, request):  # an asset whose URL has no telling extension
                await route.continue_()
            return
        if self._left > 0 and request.is_navigation_request():
            self._left -= 1
            self.allowed.append(f"{self._describe(request)} ({self._purpose})")
            divert, self.divert = self.divert, None
            await (divert(route, request) if divert else route.continue_())
            return
        self.blocked.append(self._describe(request))
        await route.abort("blockedbyclient")

    @contextmanager
    def allow(self, purpose: str, count: int = 1) -> Iterator[None]:
        self._purpose, self._left = purpose, count
        try:
            yield
        finally:
            self._purpose, self._left = None, 0
