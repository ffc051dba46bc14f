"""Moving through an admin UI as a person would: click visible text, wait, and recognise where we are."""
from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from capture.errors import NavigationError, UnsafeClick

# Where a person would put the pointer: the middle of the element's first box, scrolled into view, and
# only if that point really lands on it (nothing drawn over it). Sets hit.x, hit.y.
_SETTLE_JS = """(ms) => new Promise((done) => {
  if (window.__btcOld === true) { setTimeout(() => done('stayed'), ms); return; }
  if (document.readyState === 'complete') { done('loaded'); return; }
  addEventListener('load', () => done('loaded'), { once: true });
})"""

_AIM_JS = """
    el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const r = [...el.getClientRects()].find((b) => b.width > 0 && b.height > 0);
    if (r) {
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const top = document.elementFromPoint(x, y);
      if (top && (top === el || el.contains(top) || (el.labels && [...el.labels].some((l) => l.contains(top))))) {
        hit.x = x; hit.y = y;
      }
    }
"""

_FIND_JS = """
(a) => {
  // Menu text as a person reads it: icons, arrows and counters around the words do not count.
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase()
    .replace(/^[^\\p{L}\\p{N}/(]+/u, '').replace(/(\\s*\\(\\d+\\))?[^\\p{L}\\p{N})?]*$/u, '');
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0;
  const text = (el) => norm(el.tagName === 'INPUT' ? el.value : (el.innerText || el.textContent));
  const SEL = 'a,button,[role=link],[role=tab],[role=menuitem],[role=button],[role=treeitem],input[type=submit],input[type=button],summary,[onclick],[tabindex],li,span,div,td';
  const NAV = 'nav,[role=navigation],[role=menubar],[role=menu],[role=tablist],ul,ol,header,aside';
  const CONTROLS = 'a,button,[role=link],[role=tab],[role=menuitem],[role=button],[role=treeitem],input[type=submit],input[type=button]';
  const interactive = (el) => el.matches('a,button,[role=link],[role=tab],[role=menuitem],[role=button],[role=treeitem],input,summary') ||
    el.hasAttribute('onclick') || getComputedStyle(el).cursor === 'pointer';
  const want = a.texts.map(norm);
  const prevWant = (a.prev || []).map(norm);
  const all = [...document.querySelectorAll(SEL)];
  const prevContainers = new Set(all.filter((el) => prevWant.includes(text(el)) && vis(el)).map((el) => el.closest(NAV)).filter(Boolean));
  const cands = [];
  all.forEach((el, order) => {
    const t = text(el);
    const wi = want.indexOf(t);
    if (wi < 0 || !vis(el) || !interactive(el)) return;
    // The innermost element carrying the text: skip an <li> when its <a> matches too.
    if ([...el.querySelectorAll(SEL)].some((c) => text(c) === t && interactive(c))) return;
    const c = el.closest(NAV);
    // Of two with the same words, a control (a button, a link, a tab) before a disclosure or a clickable box:
    // a <summary>Sign In</summary> above the form only folds it shut.
    const kind = el.matches(CONTROLS) ? 0 : 1;
    cands.push({ el, rank: [wi, c && prevContainers.has(c) ? 1 : 0, c ? 0 : 1, kind, order] });
  });
  if (!cands.length) return a.all ? [] : null;
  if (a.all) return cands.map((c, i) => { c.el.setAttribute('data-btc-all', a.mark + '-' + i); return a.mark + '-' + i; });
  cands.sort((x, y) => { for (let i = 0; i < 5; i++) if (x.rank[i] !== y.rank[i]) return x.rank[i] - y.rank[i]; return 0; });
  document.querySelectorAll('[data-btc-click]').forEach((e) => e.removeAttribute('data-btc-click'));
  const el = cands[0].el;
  el.setAttribute('data-btc-click', a.mark);
  const hit = { text: (el.innerText || el.value || '').trim(), tag: el.tagName };
  if (a.point && document.readyState === 'complete') {
    %AIM%
    if (a.mark_old) window.__btcOld = true;
  }
  return hit;
}
""".replace("%AIM%", _AIM_JS.strip())

# One element of a selector, ready for the pointer (as _AIM_JS). Also reports the state a fill or a tick
# needs (checked, editable), and with `focus` focuses it and selects its text for typing.
_POINT_JS = """
(a) => {
  const els = [...document.querySelectorAll(a.sel)];
  const el = els[a.index || 0];
  if (!el) return { count: els.length, found: false };
  const hit = { count: els.length, found: true, checked: !!el.checked, tag: el.tagName,
                editable: !(el.disabled || el.readOnly), text: (el.innerText || el.value || '').trim().slice(0, 80) };
  if (a.focus) {
    el.focus();
    if (typeof el.select === 'function') el.select();
    hit.focused = document.activeElement === el;
    return hit;
  }
  if (document.readyState === 'complete' || !a.need_complete) {
    %AIM%
  }
  if (a.mark_old) window.__btcOld = true;
  return hit;
}
""".replace("%AIM%", _AIM_JS.strip())

# What kind of on/off control a selector names, and its state: a checkbox, a switch (role=switch or checkbox,
# aria-checked), a Yes/No list, or an Enabled/Disabled radio pair; for lists and radios, the choice meaning `on`.
_ONOFF_JS = """
(a) => {
  const el = document.querySelectorAll(a.sel)[a.index || 0];
  if (!el) return null;
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const YES = ['yes', 'on', 'enabled', 'enable', 'true', 'allow', 'allowed'];
  const NO = ['no', 'off', 'disabled', 'disable', 'false', 'deny', 'none'];
  const want = a.on ? YES : NO;
  const mark = String(Math.random()).slice(2);
  if (el.tagName === 'INPUT' && el.type === 'checkbox') return { kind: 'checkbox', state: el.checked };
  if (el.tagName === 'SELECT') {
    const cur = el.options[el.selectedIndex];
    const opt = [...el.options].find((o) => want.includes(norm(o.textContent)));
    el.setAttribute('data-btc-onoff', mark);
    return { kind: 'select', mark, state: cur ? (YES.includes(norm(cur.textContent)) ? true : NO.includes(norm(cur.textContent)) ? false : null) : null,
             option: opt ? opt.textContent.trim() : null };
  }
  if (el.tagName === 'INPUT' && el.type === 'radio') {
    const root = el.getRootNode();
    const group = el.name ? [...root.querySelectorAll('input[type=radio]')].filter((r) => r.name === el.name) : [el];
    const text = (r) => norm((r.labels && r.labels[0] && r.labels[0].innerText) || r.getAttribute('aria-label') || r.value);
    const target = group.find((r) => want.includes(text(r)));
    const on = group.find((r) => r.checked);
    if (target) target.setAttribute('data-btc-onoff', mark);
    return { kind: 'radio', mark, state: on ? (YES.includes(text(on)) ? true : NO.includes(text(on)) ? false : null) : null,
             option: target ? text(target) : null };
  }
  const sw = el.matches('[role=switch],[role=checkbox]') ? el : el.querySelector('[role=switch],[role=checkbox],input[type=checkbox]');
  if (sw && sw.tagName === 'INPUT') return { kind: 'checkbox', state: sw.checked };
  if (sw) {
    sw.setAttribute('data-btc-onoff', mark);
    return { kind: 'switch', mark, state: sw.getAttribute('aria-checked') === 'true' };
  }
  return { kind: 'checkbox', state: !!el.checked };
}
"""

# The confirm button of a visible modal dialog, marked; null when no dialog is open.
_MODAL_JS = """
(a) => {
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0;
  const want = a.texts.map(norm);
  const boxes = [...document.querySelectorAll('dialog[open],[role=dialog],[role=alertdialog],[aria-modal=true]')].filter(vis);
  for (const d of boxes) {
    const b = [...d.querySelectorAll('button,input[type=button],input[type=submit],[role=button],a')].filter(vis)
      .find((x) => want.includes(norm(x.innerText || x.value)));
    if (b) { b.setAttribute('data-btc-modal', a.mark); return a.mark; }
  }
  return null;
}
"""

_STATE_JS = """
(v) => {
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0;
  if (!document.body) return { state: 'loading', text: '' };
  const inputs = [...document.querySelectorAll('input,select,textarea')].filter((e) =>
    !['hidden', 'submit', 'button', 'image', 'reset'].includes((e.type || '').toLowerCase()) && vis(e));
  const pw = inputs.filter((e) => (e.type || '').toLowerCase() === 'password');
  const texty = inputs.filter((e) => e.tagName === 'INPUT' && ['text', 'email', 'tel', 'number', ''].includes((e.type || 'text').toLowerCase()));
  const buttons = [...document.querySelectorAll('button,input[type=submit],input[type=button],a,[role=button]')].filter(vis)
    .map((b) => norm(b.tagName === 'INPUT' ? b.value : b.innerText));
  const has = (list) => buttons.some((b) => list.map(norm).includes(b));
  const body = norm(document.body.innerText);
  // Landmarks count only outside menus and links: every page carries the menu's words.
  let content = '';
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = w.nextNode());) {
    const p = n.parentElement;
    if (!p || p.closest('nav,[role=navigation],[role=menubar],[role=menu],[role=tablist],a,button,option,script,style,title') || !vis(p)) continue;
    content += ' ' + n.textContent;
  }
  content = norm(content);
  const landmarks = (v.landmarks || []).filter((l) => content.includes(norm(l)));
  // Fallback evidence: a heading or the document title naming the page (e.g. "Networking :: SNMP").
  const heads = [...document.querySelectorAll('h1,h2,h3,h4,legend,caption,[role=heading]')].filter(vis)
    .map((h) => norm(h.innerText)).concat([norm(document.title)]);
  const titled = (v.titles || []).some((t) => heads.some((h) => h.split(/\\s*(?:::|:|-|\\u2013|\\|)\\s*/).includes(norm(t))));
  const codeWords = v.code.some((w) => body.includes(norm(w)));
  const agreeBox = inputs.some((e) => e.type === 'checkbox' && v.agree.concat(['accept', 'agree']).some((w) =>
    norm((e.labels && e.labels[0] && e.labels[0].innerText) || (e.parentElement && e.parentElement.innerText)).includes(norm(w))));
  let state = 'content';
  if (pw.length === 1 && texty.length === 0 && codeWords && !has(v.agree)) state = 'code';
  else if (pw.length === 1 && inputs.length <= 4 && has(v.submit)) state = 'login';
  else if (pw.length === 0 && texty.length === 1 && inputs.length <= 3 && codeWords && has(v.code_submit)) state = 'code';
  else if (pw.length === 0 && inputs.length <= 2 && (has(v.agree) || (agreeBox && has(v.submit.concat(v.code_submit))))) state = 'agreement';
  else if (!landmarks.length && (v.expired || []).some((w) => body.includes(norm(w)))) state = 'expired';
  const errs = [...document.querySelectorAll('[role=alert],.error,.alert,.message,.notice,.warning')].filter(vis).map((e) => norm(e.innerText)).filter(Boolean);
  const nav = performance.getEntriesByType('navigation')[0];
  if (v.at && document.readyState === 'complete') window.__btcAt = v.at;  // which page this document was read as
  return { state, landmarks, titled, ready: document.readyState, error: errs.join(' | ').slice(0, 300), title: document.title,
           status: (nav && nav.responseStatus) || null };
}
"""

LOGIN_STATES = ("login", "code", "agreement", "expired")  # pages that mean "not logged in (any more)"

_mark_seq = 0


def _next_mark() -> str:
    global _mark_seq
    _mark_seq += 1
    return f"m{_mark_seq}"


def _plain(text: str) -> str:
    """Visible text without icons, arrows or counters around it, lower case."""
    t = " ".join(text.split()).lower()
    t = re.sub(r"^[^\w/(]+", "", t)
    return re.sub(r"(\s*\(\d+\))?[^\w)?]*$", "", t)


class Navigator:
    """Clicks by visible text, refuses destructive controls, and reports what page we are on."""

    FOUND = "[data-btc-click]"  # the element the last find() or click() chose, for press()

    def __init__(self, page: Any, *, login_vocab: dict[str, list[str]], destructive: list[str],
                 timeout_s: float = 20.0) -> None:
        self.page = page
        self.vocab = login_vocab
        self.destructive = {_plain(t) for t in destructive}
        self.timeout_s = timeout_s

    async def find(self, texts: list[str], prev: list[str] | None = None, *,
                   allow_destructive: bool = False) -> Any | None:
        found = await self._find(texts, prev, allow_destructive=allow_destructive)
        return found[0] if found else None

    async def _find(self, texts: list[str], prev: list[str] | None = None, *, allow_destructive: bool = False,
                    point: bool = False, mark_old: bool = False) -> tuple[Any, dict[str, Any]] | None:
        """(locator, hit): hit has the pointer position x, y when `point` and nothing covers the element."""
        mark = _next_mark()
        hit = await self.page.evaluate(_FIND_JS, {"texts": texts, "prev": prev or [], "mark": mark,
                                                  "point": point, "mark_old": mark_old})
        if not hit:
            return None
        if not allow_destructive and _plain(hit["text"]) in self.destructive:
            raise UnsafeClick(f"refusing to click {hit['text']!r}: it changes the appliance")
        return self.page.locator(f'[data-btc-click="{mark}"]'), hit

    async def press(self, selector: str, *, index: int = 0, expect_nav: bool = False,
                    nav_window_s: float = 1.5) -> None:
        """Click one element we marked (a button, a link) with the pointer at its middle, as `click` does."""
        hit = await self.page.evaluate(_POINT_JS, {"sel": selector, "index": index, "mark_old": expect_nav,
                                                   "need_complete": True})
        if not hit["found"]:
            raise NavigationError(f"nothing to click at {selector} #{index}")
        if "x" in hit:
            await self.page.mouse.click(hit["x"], hit["y"])
        else:
            await self.page.locator(selector).nth(index).click(timeout=self.timeout_s * 1000)
        if expect_nav:
            await self.settle(nav_window_s)

    async def confirm_modal(self, texts: list[str], wait_s: float = 0.3) -> bool:
        """An in-page confirmation (role=dialog, alertdialog, aria-modal, an open <dialog>) that a click just
        opened: press its button carrying one of texts (OK, Yes). False when none shows within wait_s."""
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            try:
                mark = await self.page.evaluate(_MODAL_JS, {"texts": texts, "mark": _next_mark()})
            except Exception:  # the click navigated: no dialog
                return False
            if mark:
                await self.press(f'[data-btc-modal="{mark}"]')
                return True
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.05)

    async def fill(self, selector: str, value: str) -> int:
        """Type value into every element of selector (a field and its confirmation); return how many.

        The same keystrokes Playwright's fill sends (focus, select all, insert the text), without its
        injected script, which Chromium would compile again in every document it is used in.
        """
        n, i = 1, 0
        while i < n:
            hit = await self.page.evaluate(_POINT_JS, {"sel": selector, "index": i, "focus": True})
            n = hit["count"]
            if not hit["found"]:
                break
            if not hit["editable"] or not hit.get("focused"):
                await self.page.locator(selector).nth(i).fill(value, timeout=self.timeout_s * 1000)
            elif value:
                await self.page.keyboard.insert_text(value)
            else:
                await self.page.keyboard.press("Delete")
            i += 1
        return i

    async def choose(self, selector: str, label: str) -> None:
        """Pick the option shown as label in a <select>, as choosing it by hand does (input and change events)."""
        ok = await self.page.evaluate("""([s, label]) => {
          const sel = document.querySelector(s);
          const opt = sel && [...sel.options].find((o) => o.textContent.trim() === label);
          if (!opt || sel.disabled) return false;
          sel.focus();
          opt.selected = true;
          sel.dispatchEvent(new Event('input', { bubbles: true }));
          sel.dispatchEvent(new Event('change', { bubbles: true }));
          return true;
        }""", [selector, label])
        if not ok:
            await self.page.locator(selector).select_option(label=label, timeout=self.timeout_s * 1000)

    async def set_checked(self, selector: str, checked: bool = True, *, index: int = 0) -> None:
        """Turn an on/off control on (or off) as a person would: a checkbox ticked with the pointer, a switch
        (role=switch or checkbox) pressed, a Yes/No select chosen, an Enabled/Disabled radio pair clicked."""
        kind = await self.page.evaluate(_ONOFF_JS, {"sel": selector, "index": index, "on": checked})
        if kind is None:
            raise NavigationError(f"no checkbox at {selector} #{index}")
        if kind.get("state") == checked:
            return
        if kind["kind"] == "select":
            if kind.get("option") is None:
                raise NavigationError(f"{selector}: a list with no {'Yes' if checked else 'No'} choice")
            await self.choose(f'[data-btc-onoff="{kind["mark"]}"]', kind["option"])
            return
        if kind["kind"] == "radio":
            if kind.get("option") is None:
                raise NavigationError(f"{selector}: a choice with no {'Enabled' if checked else 'Disabled'} option")
            await self.press(f'[data-btc-onoff="{kind["mark"]}"]')
            return
        if kind["kind"] == "switch":
            await self.press(f'[data-btc-onoff="{kind["mark"]}"]')
            return
        hit = await self.page.evaluate(_POINT_JS, {"sel": selector, "index": index})
        if "x" in hit:
            await self.page.mouse.click(hit["x"], hit["y"])
            now = await self.page.evaluate("([s, i]) => { const e = document.querySelectorAll(s)[i]; return !!(e && e.checked); }",
                                           [selector, index])
            if now == checked:
                return
        await self.page.locator(selector).nth(index).set_checked(checked, timeout=self.timeout_s * 1000)

    async def find_all(self, texts: list[str], frame: Any = None) -> list[str]:
        """Selectors of every visible clickable element carrying one of texts (for toggles), for `press`; in
        `frame` when given (a same-origin panel), else in the page."""
        marks = await (frame or self.page).evaluate(_FIND_JS, {"texts": texts, "prev": [], "mark": _next_mark(),
                                                               "all": True})
        return [f'[data-btc-all="{m}"]' for m in marks]

    async def click(self, texts: list[str], prev: list[str] | None = None, *, expect_nav: bool = True,
                    nav_window_s: float = 1.5) -> bool:
        """Click the best visible element carrying one of texts; return whether it was found and clicked.

        The pointer goes to the middle of the element and clicks there, as a person's would. An element
        something else is drawn over is left to Playwright's click, which waits until it can be clicked.
        """
        found = await self._find(texts, prev, point=True, mark_old=True)
        if found is None and prev:
            # A dropdown menu: its items show only while the pointer rests on the parent item.
            parent = await self._find(prev, point=True)
            if parent is not None:
                if "x" in parent[1]:
                    await self.page.mouse.move(parent[1]["x"], parent[1]["y"])
                else:
                    await parent[0].hover()
                await asyncio.sleep(0.2)
                found = await self._find(texts, prev, point=True, mark_old=True)
        if found is None:
            return False
        loc, hit = found
        if "x" in hit:
            await self.page.mouse.click(hit["x"], hit["y"])
        else:
            await loc.click(timeout=self.timeout_s * 1000)
        if expect_nav:
            await self.settle(nav_window_s)
        return True

    async def settle(self, nav_window_s: float = 1.5) -> None:
        """Wait for a navigation the last click may have started, then for the page to load."""
        # One question per document, answered by the page itself: the document the click was made in
        # (marked __btcOld) answers "stayed" after the window, unless a navigation replaces it first (the
        # call then fails with its context, and the next one goes to the new document); a new document
        # answers once its load event has fired. Just after a commit Playwright may still report the old
        # document's load state, so the new document itself must say it is complete.
        deadline = time.monotonic() + self.timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NavigationError(f"the page did not finish loading within {self.timeout_s:.0f} s")
            try:
                await asyncio.wait_for(self.page.evaluate(_SETTLE_JS, nav_window_s * 1000), left)
                return
            except asyncio.TimeoutError:
                continue  # the deadline check above says so
            except Exception as e:  # context destroyed mid-navigation: a new document is coming
                if self.page.is_closed():
                    why = (str(e).splitlines() or [type(e).__name__])[0]
                    raise NavigationError(f"the page closed while loading ({why})") from None
                await asyncio.sleep(0.02)

    async def state(self, landmarks: list[str] = (), titles: list[str] = (), at: str | None = None) -> dict[str, Any]:
        """What the page is (content, login, code, agreement, expired) and which landmarks show; `at` marks the
        loaded document as that page, for Session to know later it is still on it."""
        v = dict(self.vocab)
        v["landmarks"] = list(landmarks)
        v["titles"] = list(titles)
        v["at"] = at
        for _ in range(3):
            try:
                return await self.page.evaluate(_STATE_JS, v)
            except Exception:  # navigation in flight
                await asyncio.sleep(0.2)
        return {"state": "loading", "landmarks": [], "ready": "loading", "error": "", "title": ""}

    async def wait_for(self, landmarks: list[str], timeout_s: float | None = None,
                       titles: list[str] = (), at: str | None = None) -> dict[str, Any]:
        """Poll until a landmark shows or a login page appears; raise NavigationError on timeout.

        On a version whose labels we do not know, a loaded page whose heading names the page is
        accepted after a short grace, with st["by_title"] set so the record can say so.
        """
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        st: dict[str, Any] = {}
        loaded_at: float | None = None
        while time.monotonic() < deadline:
            st = await self.state(landmarks, titles, at)
            if st["state"] in ("login", "code", "agreement") or (st["landmarks"] and st["ready"] == "complete"):
                return st
            if st["ready"] == "complete" and (st["state"] == "expired" or (st.get("status") or 0) >= 400):
                return st  # the caller says what went wrong (an HTTP error page never shows the landmarks)
            if st["ready"] == "complete":
                loaded_at = loaded_at or time.monotonic()
                if st.get("titled") and time.monotonic() - loaded_at > 1.5:
                    st["by_title"] = True
                    return st
            await asyncio.sleep(0.15)
        raise NavigationError(f"page did not show {landmarks[:3]} within {timeout_s or self.timeout_s:.0f} s"
                              + (f" (page says: {st.get('error')})" if st.get("error") else ""))
