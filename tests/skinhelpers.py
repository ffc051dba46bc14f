"""Test helpers for skinned simulators: sign in and walk the menus by visible text as a person does, and read
everything a page shows (text, control values and states, in every frame) to compare with the block model."""
from __future__ import annotations

import time
from typing import Any

import pyotp

from fixtures.skins.catalog import Expect
from fixtures.skins.wording import Wording

# Mark the visible clickable element whose text is `text` (case-insensitive: a stylesheet may upper-case it);
# with `after`, the first one that follows the element reading `after` (a sub-item after its menu item).
_MARK_JS = """
([text, after]) => {
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true;
  const find = (t) => [...document.querySelectorAll('a,button,input[type=submit],[role=button],[role=tab]')]
    .filter((el) => vis(el) && norm(el.tagName === 'INPUT' ? el.value : el.innerText) === norm(t));
  document.querySelectorAll('[data-test-click]').forEach((e) => e.removeAttribute('data-test-click'));
  let all = find(text);
  if (after) {
    const top = find(after)[0];
    if (top) all = all.filter((el) => el !== top && (top.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING));
  }
  if (!all.length) return false;
  all[0].setAttribute('data-test-click', '1');
  return true;
}
"""

# What a person clicks to see a NIC's details.
_EXPAND_JS = """
() => document.querySelectorAll('[aria-expanded=false]').forEach((b) => {
  if ((b.innerText || '').trim().toLowerCase() === 'show details') b.click();
})
"""

# Everything a page shows: its text, the values of its visible controls, the state of every named control
# (open shadow roots included: a secret panel may live in one).
_READ_JS = """
() => {
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true;
  const out = { text: document.body ? document.body.innerText : '', values: [], states: [], secrets: [], loading: false };
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    roots[i].querySelectorAll('*').forEach((el) => { if (el.shadowRoot) { roots.push(el.shadowRoot); out.text += ' ' + el.shadowRoot.textContent; } });
  }
  for (const root of roots) {
    out.loading = out.loading || [...root.querySelectorAll('p')].some((p) => vis(p) && p.textContent.trim() === 'Loading…');
    for (const el of root.querySelectorAll('input,select,textarea')) {
      const t = (el.type || '').toLowerCase();
      if (el.tagName === 'SELECT') {
        if (vis(el)) out.values.push(...[...el.selectedOptions].map((o) => o.textContent.trim()));
        if (el.name) out.states.push([el.name, el.value, true]);
      } else if (el.tagName === 'TEXTAREA') {
        if (vis(el)) out.values.push(el.value);
      } else if (t === 'checkbox' || t === 'radio') {
        if (el.name) out.states.push([el.name, el.value, el.checked]);
      } else if (t === 'hidden') {
        const sw = el.previousElementSibling;
        if (sw && sw.getAttribute('role') === 'switch') {
          out.states.push([el.name, el.value, !el.disabled]);
          if (sw.getAttribute('aria-checked') !== String(!el.disabled)) out.states.push([el.name, 'MISMATCH', true]);
        }
      } else if (t === 'password') {
        out.secrets.push([el.name, el.value]);
      } else if (vis(el)) {
        out.values.push(el.value);
        if (el.name) out.secrets.push([el.name, el.value]);
      }
    }
  }
  return out;
}
"""


def norm(s: str) -> str:
    return " ".join(s.split()).lower()


def click_text(page: Any, text: str, *, after: str | None = None, nav: bool = True, timeout_s: float = 5.0) -> bool:
    """Click the element showing text, in the page or in one of its frames (waiting for late content)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for frame in page.frames:
            try:
                if not frame.evaluate(_MARK_JS, [text, after]):
                    continue
            except Exception:  # a frame that is navigating
                continue
            frame.locator("[data-test-click]").click()
            if nav:
                page.wait_for_load_state()
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def find(page: Any, selector: str, timeout_s: float = 5.0) -> Any:
    """The first element matching selector in the page or in one of its frames, waiting for content that comes
    after the load event (None when none shows up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for frame in page.frames:
            try:
                loc = frame.locator(selector)
                if loc.count():
                    return loc.first
            except Exception:  # a frame that is navigating
                continue
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def sign_in(page: Any, w: Wording, url: str, user: str, password: str, totp: str | None = None) -> None:
    """Open url and get through the agreement, the login form and the 2FA code, as a person would."""
    page.goto(url)
    for _ in range(8):
        page.wait_for_load_state()
        boxes = page.locator("input[type=password]:visible")
        if page.locator("[role=dialog]:visible").count():
            raise AssertionError("a dialog on a sign-in page")
        if click_text(page, w.words("I Agree"), timeout_s=0):
            continue
        accept = w.words("I accept the terms")
        if page.get_by_text(accept, exact=False).count() and page.get_by_text(w.words("Continue")).count():
            tick(page, "accept_terms")
            click_text(page, w.words("Continue"))
            continue
        if boxes.count() == 1 and page.locator("input[name=username]").count():
            page.locator("input[name=username]").fill(user)
            boxes.fill(password)
            assert click_text(page, w.words("Log In")), "no Log In button"
            continue
        if page.locator("input[name=code]").count():
            page.locator("input[name=code]").fill(pyotp.TOTP(totp).now())
            assert click_text(page, w.words("Verify")), "no Verify button"
            continue
        return
    raise AssertionError(f"could not sign in at {url}")


def tick(page: Any, name: str) -> None:
    """Turn a boolean on, whatever control draws it (checkbox, switch, Yes/No, Enabled/Disabled)."""
    el = find(page, f"[name={name}]")
    assert el is not None, f"no control named {name}"
    kind = el.evaluate("(e) => e.tagName + ':' + (e.type || '') + ':' + (e.disabled ? 'off' : 'on')")
    if kind.startswith("INPUT:checkbox"):
        el.check()
    elif kind == "INPUT:hidden:off":  # a switch: its hidden input posts only while it is on
        el.locator("xpath=preceding-sibling::*[@role='switch'][1]").click()
    elif kind.startswith("SELECT"):
        el.select_option(label="Yes")
    elif kind.startswith("INPUT:radio"):
        find(page, f"input[name={name}]:not([value=''])").check()


def read(page: Any) -> dict[str, Any]:
    """What every frame of the page shows, merged."""
    out: dict[str, Any] = {"text": "", "values": [], "states": [], "secrets": [], "loading": False}
    for frame in page.frames:
        try:
            got = frame.evaluate(_READ_JS)
        except Exception:  # a frame that is navigating
            out["loading"] = True
            continue
        out["text"] += "\n" + got["text"]
        for k in ("values", "states", "secrets"):
            out[k] += got[k]
        out["loading"] |= got["loading"]
    return out


def missing(shown: dict[str, Any], want: Expect) -> list[str]:
    """What the page should show and does not (empty when it shows everything)."""
    corpus = norm(shown["text"] + "\n" + "\n".join(shown["values"]))
    gone = [f"text {t!r}" for t in want.texts if not _present(t, corpus)]
    states: dict[tuple[str, str], bool] = {}
    names_seen = {n for n, _, _ in shown["states"]}
    for n, v, on in shown["states"]:
        if v == "MISMATCH":
            gone.append(f"switch {n} draws another state than it posts")
        states[(n, v)] = states.get((n, v), False) or on
    for n, v, on in want.checks:
        if n not in names_seen:
            gone.append(f"control {n}")
        elif states.get((n, v), False) != on:
            gone.append(f"{n} should be {'on' if on else 'off'}")
    have = dict((n, v) for n, v in shown["secrets"])
    for n, v in want.secrets:
        if have.get(n) != v:
            gone.append(f"secret field {n}")
    return gone


def _present(text: str, corpus: str) -> bool:
    """The value, or each item of a comma-separated list (a skin may show one item per line)."""
    if norm(text) in corpus:
        return True
    items = [x for x in text.split(", ") if x.strip()]
    return len(items) > 1 and all(norm(x) in corpus for x in items)


def wait_shown(page: Any, want: Expect, timeout_s: float = 6.0) -> list[str]:
    """Poll until the page shows everything it should (content may arrive after load), or say what is missing."""
    deadline = time.monotonic() + timeout_s
    while True:
        for frame in page.frames:
            try:
                frame.evaluate(_EXPAND_JS)
            except Exception:  # a frame that is navigating
                pass
        shown = read(page)
        gone = missing(shown, want)
        if (not gone and not shown["loading"]) or time.monotonic() > deadline:
            return gone + (["still loading"] if shown["loading"] else [])
        time.sleep(0.15)
