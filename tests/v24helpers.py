"""Test helpers for the simulated 24.1 release: read values and navigate its menus by visible text, log in."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyotp
from simhelpers import visible_text

A = dict[str, Any]

# What a person reads beside a label in 24.1 markup: "Label: value" paragraphs, a label <div> before the control's
# <div> (/appliance), bold text + <br> + control (/login), or a checkbox followed by its text.
_VALUE_JS = """(label) => {
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const read = (c) => c.type === 'checkbox' ? String(c.checked) : c.value;
  for (const p of document.querySelectorAll('p.kv')) {
    const k = p.querySelector('.k');
    if (k && norm(k.textContent) === label + ':') return norm(p.textContent).slice(norm(k.textContent).length).trim();
  }
  for (const d of document.querySelectorAll('.flabel, .fld > b')) {
    if (norm(d.textContent) !== label) continue;
    const box = d.classList.contains('flabel') ? d.nextElementSibling : d.parentElement;
    const c = box.querySelector('input:not([type=hidden]), select, textarea');
    return c ? read(c) : norm((box.querySelector('.static') || box).textContent);
  }
  for (const c of document.querySelectorAll('input[type=checkbox]')) {
    const t = c.nextSibling;
    if (t && t.nodeType === 3 && norm(t.textContent) === label) return String(c.checked);
  }
  return null;
}"""


def value(page: Any, label: str) -> str | None:
    return page.evaluate(_VALUE_JS, label)


def val(label: str, want: str | Callable[[A], str], op: str = "eq") -> Callable[[Any, A], None]:
    def check(page: Any, a: A) -> None:
        w, got = want(a) if callable(want) else want, value(page, label)
        assert got is not None, f"label {label!r} not found"
        assert (got == w if op == "eq" else got.startswith(w) if op == "startswith" else re.search(w, got)), \
            f"{label}: {got!r} vs {w!r}"
    return check


def has(*texts: str | Callable[[A], str]) -> Callable[[Any, A], None]:
    def check(page: Any, a: A) -> None:
        body = visible_text(page)
        for t in texts:
            assert (t(a) if callable(t) else t) in body
    return check


def _exact(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def appliance_go(page: Any, menu: str, sub: str | None = None) -> None:
    """Click a top menu item, or hover it and click a dropdown item (hidden until hovered)."""
    top = page.locator("#menubar .menu-item").filter(has=page.locator(".menu-label").filter(has_text=_exact(menu)))
    if sub is None:
        with page.expect_navigation():
            top.click()
        return
    item = top.get_by_role("menuitem", name=sub, exact=True)
    page.mouse.move(0, 0)
    assert not item.is_visible()
    top.hover()
    with page.expect_navigation():
        item.click()


def login_go(page: Any, menu: str, sub: str | None = None) -> None:
    """Click a left-menu link, or open a collapsed group and click its item."""
    if sub is None:
        with page.expect_navigation():
            page.locator("#leftnav").get_by_role("link", name=menu, exact=True).click()
        return
    head = page.locator("#leftnav").get_by_role("button", name=menu, exact=True)
    if head.get_attribute("aria-expanded") != "true":
        head.click()
    with page.expect_navigation():
        head.locator("xpath=..").locator("li").filter(has_text=_exact(sub)).click()


def appliance_login(page: Any, a: A) -> None:
    page.goto(a["appliance_url"])
    page.get_by_role("checkbox").check()  # "I accept the terms"
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_load_state()
    page.locator("input[name=username]").fill(a["credentials"]["appliance"]["username"])
    page.locator("input[name=password]").fill(a["credentials"]["appliance"]["password"])
    page.locator("input[type=submit][value='Sign In']").click()
    page.wait_for_load_state()


def login_login(page: Any, a: A, code: str | None = None) -> None:
    creds = a["credentials"]["login"]
    page.goto(a["login_url"])
    page.locator("input[name=username]").fill(creds["username"])
    page.locator("input[name=password]").fill(creds["password"])
    page.locator("input[type=submit][value='Sign In']").click()
    page.wait_for_load_state()
    page.locator("input[type=password][name=code]").fill(code or pyotp.TOTP(creds["totp_secret"]).now())
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_load_state()
