"""The read-only request guard: only reads pass, plus the few posts a flow step explicitly allows."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

from capture.redact import Redactor

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
WATCHED = re.compile(r"^(?!.*\.(?:css|js|mjs|png|gif|jpe?g|svg|ico|webp|woff2?|ttf|map)(?:[?#]|$))", re.I)


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

    async def attach(self, context: Any) -> None:
        # Stylesheets, scripts, images and fonts are fetched with GET and change nothing; leaving them out
        # of the pattern lets Playwright pass them without a round trip through Python (cheaper per page).
        await context.route(WATCHED, self._handle)

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
