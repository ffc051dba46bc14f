"""Test helpers for the simulated appliance: Chromium launch with its pins/host rules, logins, an SNI-aware httpx client."""
from __future__ import annotations

import os
import shutil
import ssl
from typing import Any

import httpx
import pyotp
import pytest

from capture.browser import HEADLESS_SHELL

# The browser bt-capture runs by default (Debian's chromium-headless-shell, which scripts/setup.sh installs);
# tests/test_guard.py and tests/test_ocr.py keep /usr/bin/chromium, the fallback, in use.
CHROMIUM = str(HEADLESS_SHELL)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def require_tool(path_or_name: str) -> None:
    """Skip when a tool is missing — except in CI, where a missing tool must fail the test."""
    if os.path.exists(path_or_name) or shutil.which(path_or_name):
        return
    message = f"required tool not found: {path_or_name}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def chromium_args(info: dict[str, Any]) -> list[str]:
    return CHROMIUM_ARGS + [f"--host-resolver-rules={info['host_resolver_rules']}",
                            f"--ignore-certificate-errors-spki-list={','.join(info['spki_pins'])}"]


def launch(playwright: Any, info: dict[str, Any]) -> Any:
    require_tool(CHROMIUM)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=chromium_args(info))


def new_page(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    ctx.set_default_timeout(10_000)
    return ctx.new_page()


def appliance_of(info: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    apps = info["appliances"]
    return apps[0] if name is None else next(a for a in apps if a["name"] == name)


def accept_agreement(page: Any) -> bool:
    for label in ("I Agree", "Agree"):
        button = page.get_by_role("button", name=label, exact=True)
        if button.count():
            button.click()
            page.wait_for_load_state()
            return True
    return False


def appliance_login(page: Any, appl: dict[str, Any], url: str | None = None) -> None:
    """Open /appliance (or url), accept the agreement if shown, log in."""
    page.goto(url or appl["appliance_url"])
    accept_agreement(page)
    creds = appl["credentials"]["appliance"]
    fill_login(page, creds["username"], creds["password"])


def fill_login(page: Any, username: str, password: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log In", exact=True).click()
    page.wait_for_load_state()


def login_login(page: Any, appl: dict[str, Any], url: str | None = None) -> None:
    """Open /login (or url), log in, answer the TOTP prompt when asked."""
    page.goto(url or appl["login_url"])
    creds = appl["credentials"]["login"]
    fill_login(page, creds["username"], creds["password"])
    if page.get_by_role("button", name="Verify", exact=True).count():
        page.locator("input[name=code]").fill(pyotp.TOTP(creds["totp_secret"]).now())
        page.get_by_role("button", name="Verify", exact=True).click()
        page.wait_for_load_state()


def click_menu(page: Any, *labels: str) -> None:
    """Navigate the way a person does: click visible menu/tab text in order."""
    for i, label in enumerate(labels):
        links = page.get_by_role("link", name=label, exact=True).or_(page.get_by_role("tab", name=label, exact=True))
        # The top menu comes first in the page; later labels are sub-links/tabs, which come after it.
        (links.first if i == 0 else links.last).click()
        page.wait_for_load_state()


def label_value(page: Any, label: str) -> str:
    """The value a person reads next to a label, for either version's markup (test-side helper only)."""
    return page.evaluate(
        """(label) => {
          const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
          for (const el of document.querySelectorAll('dt, th, label, .bt-label, legend')) {
            if (norm(el.textContent) !== label) continue;
            if (el.tagName === 'LABEL' && el.htmlFor) {
              const i = document.getElementById(el.htmlFor);
              if (i) return i.type === 'checkbox' ? String(i.checked) : i.value;
            }
            const sib = el.nextElementSibling;
            if (!sib) continue;
            const i = sib.querySelector('input:not([type=hidden]), select, textarea');
            if (i) return i.type === 'checkbox' ? String(i.checked) : i.value;
            return norm(sib.textContent);
          }
          return null;
        }""", label)


class LoopbackTransport(httpx.HTTPTransport):
    """Connect to the simulator's loopback address while keeping the real hostname for SNI, Host and verification."""

    def __init__(self, hosts: dict[str, str], **kw: Any) -> None:
        super().__init__(**kw)
        self.hosts = hosts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host not in self.hosts:
            raise httpx.ConnectError(f"{host} is not a simulated host")
        routed = httpx.Request(request.method, request.url.copy_with(host=self.hosts[host]), headers=request.headers,
                               stream=request.stream, extensions={**request.extensions, "sni_hostname": host})
        return super().handle_request(routed)


def http_client(info: dict[str, Any], **kw: Any) -> httpx.Client:
    hosts = {}
    for rule in info["host_resolver_rules"].split(","):
        _, name, ip = rule.split()
        hosts[name] = ip
    verify = ssl.create_default_context(cafile=info["ca_path"])
    kw.setdefault("timeout", 30)
    return httpx.Client(transport=LoopbackTransport(hosts, verify=verify), **kw)


def api_token(client: httpx.Client, base: str, creds: dict[str, str]) -> str:
    r = client.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials"},
                    auth=(creds["client_id"], creds["client_secret"]))
    r.raise_for_status()
    return r.json()["access_token"]


def control(page: Any, label: str) -> Any:
    """The input a label names: <label for> (25.1) or the <td> beside a row's <th> (23.3)."""
    loc = page.get_by_label(label, exact=True)
    if loc.count():
        return loc.first
    xp = (f"xpath=//th[normalize-space()={_xq(label)}]/following-sibling::td[1]"
          "//*[self::input or self::select or self::textarea]")
    return page.locator(xp).first


def _xq(s: str) -> str:
    return f'"{s}"' if '"' not in s else "concat('" + s.replace("'", "',\"'\",'") + "')"


def visible_text(page: Any) -> str:
    return page.locator("body").inner_text()


def _csrf(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def http_appliance_login(client: httpx.Client, appl: dict[str, Any]) -> None:
    """Log in to /appliance with plain HTTP requests (agreement first when shown)."""
    r = client.get(appl["appliance_url"])
    if "I Agree" in r.text:
        r = client.post(f"{appl['base_url']}/appliance/agreement", data={"csrf_token": _csrf(r.text),
                                                                          "next": "/appliance"},
                        follow_redirects=True)
    creds = appl["credentials"]["appliance"]
    r = client.post(f"{appl['base_url']}/appliance/login", follow_redirects=True,
                    data={"csrf_token": _csrf(r.text), "username": creds["username"],
                          "password": creds["password"], "next": "/appliance"})
    assert "Log Out" in r.text, "HTTP login to /appliance failed"


def http_login_login(client: httpx.Client, appl: dict[str, Any]) -> httpx.Response:
    r = client.get(appl["login_url"])
    creds = appl["credentials"]["login"]
    r = client.post(f"{appl['base_url']}/login/authenticate", follow_redirects=True,
                    data={"csrf_token": _csrf(r.text), "username": creds["username"],
                          "password": creds["password"], "next": "/login"})
    if 'name="code"' in r.text:
        r = client.post(f"{appl['base_url']}/login/verify", follow_redirects=True,
                        data={"csrf_token": _csrf(r.text), "code": pyotp.TOTP(creds["totp_secret"]).now(),
                              "next": "/login"})
    assert "Log Out" in r.text, "HTTP login to /login failed"
    return r


def form_post(client: httpx.Client, page_url: str, form_id: str, fields: dict[str, str], **kw: Any) -> httpx.Response:
    """Submit one of a page's forms the way a browser would (fresh CSRF token from the page)."""
    r = client.get(page_url)
    return client.post(page_url, data={"csrf_token": _csrf(r.text), "form_id": form_id, **fields}, **kw)
