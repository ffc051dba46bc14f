"""One logged-in interface of one appliance: navigate by menu, detect bounces, capture pages, download files."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from capture import masking
from capture.navigate import LOGIN_STATES, Navigator
from capture.errors import CaptureError, DownloadError, EmptyPage, NavigationError, SessionBounced
from capture.guard import Guard
from capture.layers import ALL, Layers
from capture.ocr_redact import SecretLabels, redact_line
from capture.records import Gap, Masked, Masking, PageRecord, Section
from capture.redact import Redactor
from capture.store import Store
from flows import expect, extract
from flows.base import Labels, Page
from flows.vocabulary import Vocabulary

log = logging.getLogger("bt-capture")
READY_S = 10.0  # longest wait for a page's values after it loaded (content filled in by script, frames)


@dataclass
class Session:
    """The browser side of one interface. `login` is supplied by flows.auth (page knowledge)."""

    name: str  # appliance name, for messages
    interface: str  # appliance | login
    home: str  # URL a person would type
    entry: tuple[str, ...]  # menu clicks after login to reach the interface (cloud: "Appliance")
    context: Any
    page: Any
    labels: Labels
    redactor: Redactor
    store: Store
    guard: Guard
    login: Callable[["Session"], Awaitable[None]]
    timeout_s: float = 30.0
    download_timeout_s: float = 3600.0
    notes: list[str] = field(default_factory=list)
    http: Callable[[], Any] | None = None  # an HTTP client with the same trust, for downloads (capture.fetch)
    relogin: bool = True  # False for a helper tab: a bounce to the login page is raised, never logged into
    layers: Layers = ALL  # the secret layers (all on, except in the tests that prove each one alone)
    nav: Navigator = field(init=False)

    def __post_init__(self) -> None:
        self.nav = Navigator(self.page, login_vocab=self.labels.login_vocab,
                             destructive=self.labels.destructive_text, timeout_s=self.timeout_s)
        self.page.set_default_timeout(self.timeout_s * 1000)
        self.attachment_length: int | None = None  # Content-Length the last browser download announced
        self.last_sha256: str | None = None  # of the last file downloaded through self.http
        self._cdp: Any = None  # the page's DevTools session, for screenshots (capture.screenshot)
        self._vocab: Vocabulary | None = None
        self._at: str | None = None  # the flow goto() last arrived at (its document carries the same mark)
        self._landed = False  # just logged in: the landing page may already be the one asked for
        self._confirm = 0  # window.confirm dialogs a flow asked to accept (an export's "Are you sure?")
        self.page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Any) -> None:
        """Every alert, confirm and prompt is answered, or the page would hang: a confirmation a flow asked for
        (`confirming`) is accepted; anything else is dismissed, the safe answer, and noted."""
        asyncio.ensure_future(self._answer(dialog))

    async def _answer(self, dialog: Any) -> None:
        msg = self.redactor.scrub(" ".join((dialog.message or "").split()))[:160]
        try:
            if self._confirm > 0 and dialog.type == "confirm":
                self._confirm -= 1
                await dialog.accept()
                self.note(f"confirmed: {msg}")
            else:
                await dialog.dismiss()
                self.note(f"dismissed a {dialog.type} dialog bt-capture did not ask for: {msg}")
        except Exception:  # the page closed, or the dialog was already answered
            pass

    @contextlib.contextmanager
    def confirming(self, count: int = 1) -> Any:
        """Accept up to `count` confirm dialogs while inside (an action's own "Are you sure?", never a Save)."""
        self._confirm = count
        try:
            yield
        finally:
            self._confirm = 0

    def on_response(self, response: Any) -> None:
        """While a browser download runs (capture.downloads): the length the file's response announces."""
        try:
            if response.frame == self.page.main_frame and response.request.is_navigation_request():
                if "attachment" in (response.headers.get("content-disposition") or "").lower():
                    length = response.headers.get("content-length")
                    self.attachment_length = int(length) if length and length.isdigit() else None
        except Exception:  # a response of a closed page
            pass

    def note(self, text: str) -> None:
        text = self.redactor.scrub(text)
        self.notes.append(text)
        log.info("%s/%s: %s", self.name, self.interface, text)

    async def open_home(self) -> None:
        try:
            await self.page.goto(self.home, wait_until="load", timeout=self.timeout_s * 1000)
        except Exception as e:
            raise NavigationError(f"could not open {self.home}: {_first_line(e)}") from None

    async def enter(self) -> None:
        """After login: the clicks that lead into the interface (none on-prem)."""
        prev: list[str] | None = None
        for text in self.entry:
            texts = self.labels.variants(text)
            if not await self.nav.click(texts, prev):
                raise NavigationError(f"menu item {text!r} not found after login")
            prev = texts
        self._at, self._landed = None, True

    async def _already_there(self, page: Page) -> bool:
        """Is the browser still on this page's document (a step that starts where the last capture ended),
        or on it right after login (the landing page)? Then a person would not click through the menu."""
        if self._at == page.flow:
            return bool(await self.page.evaluate("(f) => window.__btcAt === f && document.readyState === 'complete'",
                                                 page.flow))
        if self._landed:
            self._landed = False
            return await self._arrived(page)
        return False

    async def _walk(self, page: Page) -> None:
        prev: list[str] | None = None
        menu = list(page.menu)
        if len(menu) > 1:
            # Already in the right area (its sub-items showing): go straight to the sub-item, as a person
            # would; clicking an open menu group again may close it.
            texts = self.labels.variants(menu[1])
            if await self.nav.find(texts) is not None:
                menu, prev = menu[1:], self.labels.variants(menu[0])
        for i, text in enumerate(menu):
            texts = self.labels.variants(text)
            if await self.nav.click(texts, prev):
                prev = texts
                if i < len(menu) - 1 and await self._arrived(page):
                    return  # the area opened on this very page ("Networking" lands on IP Configuration)
                continue
            if (await self.nav.state())["state"] in LOGIN_STATES:
                raise SessionBounced(f"login page instead of the menu item {text!r}")
            if prev and await self.nav.click(prev, expect_nav=True) and await self.nav.click(texts, prev):
                prev = texts  # the parent was a collapsible group that the last click closed
                continue
            if i == 0:
                # Not on a page with the menu (a download page, an error page): start from home.
                await self.open_home()
                if (await self.nav.state())["state"] in LOGIN_STATES:
                    raise SessionBounced("login page instead of the menu")
                await self.enter()
                if await self.nav.click(texts, prev):
                    prev = texts
                    continue
            raise NavigationError(f"menu item {text!r} not found (tried {', '.join(map(repr, texts))})")

    async def _arrived(self, page: Page) -> bool:
        """Both signs at once: the page's own labels and a heading that names it."""
        st = await self.nav.state(self._landmarks(page), self.labels.variants(page.menu[-1]), at=page.flow)
        return bool(st["landmarks"] and st.get("titled") and st["ready"] == "complete")

    async def goto(self, page: Page, *, relogin: bool = True) -> None:
        """Reach a page by its menu path; a bounce to the login page means one re-login and one retry."""
        try:
            if not await self._already_there(page):
                self._at, self._landed = None, False
                await self._walk(page)
                st = await self.nav.wait_for(self._landmarks(page), titles=self.labels.variants(page.menu[-1]),
                                             at=page.flow)
                if st["state"] in LOGIN_STATES:
                    raise SessionBounced(f"the appliance answered with its {st['state']} page")
                if (st.get("status") or 0) >= 400:  # the document's own HTTP status (Navigation Timing)
                    raise _http_error(st)
                if st.get("by_title"):
                    self.note(f"{page.title}: recognised by its heading; none of its expected labels "
                              f"({', '.join(page.landmarks)}) were found: check flows/labels.toml for this version")
            self._at = page.flow  # the last state() call marked the document as this page
        except SessionBounced as e:
            if not self.relogin:
                raise
            if not relogin:
                raise SessionBounced(f"still bounced to the login page after logging in again ({e})") from None
            self.note(f"{page.title}: session expired ({e}); logged in again")
            await self.login(self)
            await self.goto(page, relogin=False)

    def _landmarks(self, page: Page) -> list[str]:
        out: list[str] = []
        for lm in page.landmarks:
            out += self.labels.variants(lm)
        return out

    async def expand(self, texts: tuple[str, ...]) -> int:
        """Open every "Show details"-style toggle, in the page and in its frames, each once (a toggle already
        open, aria-expanded=true, is left alone); return how many were opened. No request may go out: the guard
        would stop one."""
        opened = 0
        url = self.page.url.split("#")[0]
        for frame in list(self.page.frames):
            if frame.is_detached():
                continue
            try:
                marks = await self.nav.find_all(list(texts), frame=frame)
            except Exception:  # a frame navigating away, or one that will not run script
                continue
            for sel in marks:
                if not await frame.evaluate(_FRESH_TOGGLE_JS, sel):
                    continue
                if frame is self.page.main_frame:
                    await self.nav.press(sel)
                else:
                    await frame.locator(sel).first.click(timeout=self.timeout_s * 1000)
                opened += 1
                if self.page.url.split("#")[0] != url:
                    raise NavigationError(f"toggle {texts[0]!r} left the page")
        if opened:
            await asyncio.sleep(0.1)
        return opened

    async def read(self, page: Page) -> extract.Extraction:
        x = await extract.extract(self.page, self.labels, extra_secret=list(page.secret_labels), page_title=page.title,
                                  prepare=True)
        self.redactor.add(*x.secrets)
        if self.layers.redact:  # layer 3 by label: loose text such as "Community public" that was no field
            secret_labels = SecretLabels(self.labels.secret_patterns, self.labels.not_secret)
            for sec in x.sections:
                for i, line in enumerate(sec.text):
                    sec.text[i], value = redact_line(line, secret_labels)
                    if value and masking.looks_secret(value):
                        self.redactor.add(value)
        x.sections = [Section.model_validate(self.redactor.scrub_obj(s.model_dump())) for s in x.sections]
        return x

    async def read_ready(self, page: Page) -> extract.Extraction:
        """Read the page once it shows its content: its declared values (flows/expect.py) present, and the same
        reading twice running. The load event proves nothing: consoles fill pages in by script, in frames and
        in shadow roots. A page that never shows its values raises EmptyPage: captured empty is not captured."""
        cdp = await self._devtools()
        vocab = self._vocab or Vocabulary.load(self.labels)
        self._vocab = vocab
        deadline = time.monotonic() + min(self.timeout_s, READY_S)
        last: str | None = None
        while True:
            if page.expand:  # toggles may arrive late, or inside a frame, like the values they reveal
                await self.expand(page.expand)
            await masking.expose_closed(cdp)
            x = await self.read(page)
            missing = expect.unmet(page, x.sections, vocab)
            if (busy := expect.loading(x.sections, self.labels.data.get("extract", {}).get("loading", []))) \
                    and time.monotonic() < deadline:
                missing.append(f"the page still says {busy!r}")
            sig = _signature(x)
            if not missing and sig == last:
                return x
            if time.monotonic() >= deadline:
                if not missing:
                    return x  # present, though still changing: the screenshot's own settle check follows
                waited = min(self.timeout_s, READY_S)
                raise EmptyPage(f"the page never showed its values (missing {', '.join(missing)}) within "
                                f"{waited:.0f} s; if this version words them otherwise, set [pages.\"{page.flow}\"] "
                                "values in your labels file")
            last = None if missing else sig
            await asyncio.sleep(0.25 if missing else 0.08)

    async def _devtools(self) -> Any:
        if self._cdp is None:
            self._cdp = await self.context.new_cdp_session(self.page)
        return self._cdp

    async def _png(self, *, full_page: bool = True, timeout_s: float | None = None,
                   secret_labels: tuple[str, ...] = ()) -> masking.Shot:
        """A screenshot with every secret found by structure painted over (capture.masking); the secrets it
        saw are added to the run's redactor."""
        await self._devtools()
        opts = {"secretPatterns": self.labels.secret_patterns, "notSecret": self.labels.not_secret,
                "extraSecret": list(secret_labels)}
        shot = await masking.take(self.page, self._cdp, opts, full_page=full_page, layers=self.layers,
                                  timeout_s=timeout_s or self.timeout_s, known=lambda: self.redactor.values)
        self.redactor.add(*shot.values)
        return shot

    async def screenshot(self, rel: str, secret_labels: tuple[str, ...] = ()) -> tuple[str, str, masking.Shot]:
        shot = await self._png(secret_labels=secret_labels)
        # Hash, write and fsync off the event loop: a slow disk must not hold up the other browsers.
        return rel, await asyncio.to_thread(self._save, rel, shot.png), shot

    def _save(self, rel: str, png: bytes) -> str:
        self.store.write_bytes(rel, png)
        return hashlib.sha256(png).hexdigest()

    def ledger(self, shot: masking.Shot) -> Masking:
        """The page's secret ledger (labels only, scrubbed like every stored string)."""
        scrub = self.redactor.scrub
        return Masking(masked=[Masked(where=m["where"], why=m["why"], label=scrub(m.get("label", "")))
                               for m in shot.masked],
                       gaps=[Gap(where=g["where"], what=g["what"]) for g in shot.gaps], attempts=shot.attempts,
                       layers_off=self.layers.off)

    async def capture(self, page: Page) -> PageRecord:
        """Reach, read and photograph one page. A failure is returned as a failed record, never raised.

        Transient failures (timeouts, HTTP 5xx, dropped connections) get one more try after a pause;
        each retry is noted in the record.
        """
        log.debug("%s/%s: %s", self.name, self.interface, page.title)
        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(RETRIES + 1), reraise=True,
                                               wait=wait_exponential(multiplier=1, max=8),
                                               retry=retry_if_exception(transient),
                                               before_sleep=lambda rs: self.note(
                                                   f"{page.title}: retrying after {_message(rs.outcome.exception())}")):
                with attempt:
                    await self.goto(page)
        except SessionBounced as e:
            if not self.relogin:
                raise  # a helper tab hands the page back to the interface's own session
            return await self._failed(page, e)
        except Exception as e:
            return await self._failed(page, e)
        return await self.capture_current(page)

    async def capture_current(self, page: Page) -> PageRecord:
        """Read and photograph the page we are on."""
        rec = PageRecord(flow=page.flow, interface=page.interface, title=page.title, menu_path=list(page.menu))
        try:
            try:
                x = await self.read_ready(page)
            except EmptyPage as e:  # keep what it did show, as evidence beside the failure
                rec = await self._failed(page, e)
                rec.sections = (await self.read(page)).sections
                return rec
            rec.sections = x.sections
            rec.url = self.redactor.scrub(x.url)
            rec.page_title = self.redactor.scrub(x.title)
            rec.captured_at = datetime.now(timezone.utc)
            rec.screenshot, rec.screenshot_sha256, shot = await self.screenshot(f"pages/{page.flow}.png",
                                                                               page.secret_labels)
            rec.masking = self.ledger(shot)
            # The mask scan may have found secrets extraction did not understand: scrub the record again.
            rec.sections = [Section.model_validate(self.redactor.scrub_obj(s.model_dump())) for s in rec.sections]
        except Exception as e:
            return await self._failed(page, e)
        rec.notes = [n for n in self.notes if n.startswith(page.title)]
        return rec

    async def _failed(self, page: Page, e: BaseException) -> PageRecord:
        rec = PageRecord(flow=page.flow, interface=page.interface, title=page.title, menu_path=list(page.menu),
                         status="failed", error=self.redactor.scrub(_message(e)))
        rec.screenshot = await self.failure_screenshot(page.flow)
        rec.notes = [n for n in self.notes if n.startswith(page.title)]
        return rec

    async def failure_screenshot(self, flow: str) -> str | None:
        """Evidence of what the page showed when a step failed (secrets still masked)."""
        try:
            await extract.extract(self.page, self.labels)  # marks secret fields for the mask
        except Exception:
            pass
        try:
            shot = await self._png(full_page=False, timeout_s=5)
        except Exception:
            return None
        rel = f"failures/{flow}.png"
        self.store.write_bytes(rel, shot.png)
        return rel

    async def expect(self, page: Page) -> None:
        """After a click inside a multi-step action: the page it should lead to, or SessionBounced."""
        st = await self.nav.wait_for(self._landmarks(page))
        if st["state"] in LOGIN_STATES:
            raise SessionBounced(f"the appliance answered with its {st['state']} page")
        if not st["landmarks"] and (st.get("status") or 0) >= 400:
            raise _http_error(st)

    async def download(self, click: Callable[[], Awaitable[None]], rel: str, purpose: str) -> Path:
        """Run a click that starts a download; the file lands in the snapshot only when complete."""
        from capture.downloads import download

        return await download(self, click, rel, purpose)

    async def logout(self) -> None:
        """Click the logout link and wait for the appliance's answer to it: the session is over once the
        logout request has been answered, so the login page it leads back to is not waited for (the tab
        is closed next, like a person closing it after logging out)."""
        try:
            with self.guard.allow("logout", count=2):
                patience, self.nav.timeout_s = self.nav.timeout_s, min(self.nav.timeout_s, 5.0)
                try:
                    async with self.page.expect_response(lambda r: r.request.is_navigation_request()
                                                         and r.frame == self.page.main_frame, timeout=5000):
                        if not await self.nav.click(self.labels.login("logout"), expect_nav=False):
                            raise NavigationError("no logout link on the page")
                finally:
                    self.nav.timeout_s = patience
        except Exception as e:  # logging out is courtesy; never a failure of the capture
            self.note(f"logout: {_first_line(e)}")


RETRIES = 1


_FRESH_TOGGLE_JS = """
(s) => {
  const e = document.querySelector(s);
  if (!e || e.getAttribute('aria-expanded') === 'true' || e.hasAttribute('data-btc-opened')) return false;
  e.setAttribute('data-btc-opened', '1');
  return true;
}
"""


def _signature(x: extract.Extraction) -> str:
    """What a reading found, without where it stands (a layout shift alone is the screenshot's concern)."""
    return repr([(s.title, [(f.label, f.value, f.is_set) for f in s.fields], [(t.headers, t.rows) for t in s.tables])
                 for s in x.sections])


def transient(e: BaseException) -> bool:
    """Worth one more try: a timeout, a server error, a dropped connection; not a wrong page or a login."""
    text = str(e)
    if isinstance(e, (SessionBounced,)):
        return False
    return (type(e).__name__ == "TimeoutError" or "timed out" in text or "Timeout" in text
            or bool(re.search(r"HTTP 5\d\d", text)) or "net::ERR_" in text)


def _http_error(st: dict[str, Any]) -> NavigationError:
    """An error page the appliance answered with, in its own words when it has any."""
    return NavigationError(f"the appliance answered HTTP {st['status']}"
                           + (f": {st['error']}" if st.get("error") else f" ({st.get('title') or ''})"))


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _message(e: BaseException) -> str:
    if isinstance(e, CaptureError):
        return str(e)
    name = type(e).__name__
    text = _first_line(e)
    if name == "TimeoutError" or "Timeout" in text:
        return f"timed out: {text}"
    return f"{name}: {text}"
