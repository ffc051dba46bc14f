"""Logging in to /appliance and /login: the agreement, the credentials form, the 2FA code."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import base64
import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from capture.errors import LoginFailed

# Marks the form fields by their role in the form, not by any id: the one password input, the text
# input before it (username), the single text input of a 2FA page, or the agreement's checkboxes.
_MARK_JS = """
(kind) => {
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length > 0;
  const inputs = [...document.querySelectorAll('input')].filter((e) =>
    !['hidden', 'submit', 'button', 'image', 'reset', 'checkbox', 'radio'].includes((e.type || '').toLowerCase()) && vis(e));
  document.querySelectorAll('[data-btc-auth]').forEach((e) => e.removeAttribute('data-btc-auth'));
  if (kind === 'boxes') {
    const boxes = [...document.querySelectorAll('input[type=checkbox]')].filter(vis);
    boxes.forEach((e) => e.setAttribute('data-btc-auth', 'box'));
    return boxes.length;
  }
  if (kind === 'login') {
    const pw = inputs.find((e) => e.type === 'password');
    if (!pw) return false;
    const before = inputs.filter((e) => e !== pw && (pw.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_PRECEDING));
    const user = before[before.length - 1] || inputs.find((e) => e !== pw);
    pw.setAttribute('data-btc-auth', 'password');
    if (user) user.setAttribute('data-btc-auth', 'username');
    return true;
  }
  // The code field: the one text input, or a masked (password-type) code field on pages that hide it.
  const code = inputs.find((e) => e.type !== 'password') || inputs.find((e) => e.type === 'password');
  if (!code) return false;
  code.setAttribute('data-btc-auth', 'code');
  return true;
}
"""


@dataclass
class Credentials:
    username: str
    password: str
    totp_secret: str | None = None
    ask_code: Callable[[], str] | None = None  # prompt for a code when no TOTP secret is configured

    def code(self) -> str | None:
        if self.totp_secret:
            return totp_now(self.totp_secret)
        return self.ask_code() if self.ask_code else None


def totp_now(secret: str) -> str:
    """RFC 6238 (30 s, 6 digits, SHA-1) from a base32 secret of any length, as authenticator apps accept."""
    s = secret.replace(" ", "").upper()
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    return TOTP(key, 6, SHA1(), 30, enforce_key_length=False).generate(int(time.time())).decode()


def login_with(creds: Credentials) -> Callable[[Any], Any]:
    """Return the login routine a Session calls at start and after a bounce."""

    async def login(s: Any) -> None:
        await s.open_home()
        tried: set[str] = set()
        agreements = 0
        for _ in range(8):
            st = await s.nav.state()
            state = st["state"]
            if state == "loading":
                await s.page.wait_for_load_state("load")
                continue
            if state == "content":
                await s.enter()
                return
            if state in tried and state != "agreement":
                # The same form came back (HTTP 200, as appliances do): the submission was refused.
                what = "2FA code" if state == "code" else "credentials"
                if st.get("error"):
                    raise LoginFailed(f"{s.name}: /{s.interface} refused the {what}: {st['error']}")
                # No message: either a silent refusal, or a session that ended as soon as it began.
                raise LoginFailed(f"{s.name}: /{s.interface} showed the same form again after the {what} were sent, "
                                  "with no message (refused, or the new session ended at once)")
            tried.add(state)
            if state == "agreement":
                agreements += 1
                if agreements > 2:
                    raise LoginFailed(f"{s.name}: the login agreement keeps coming back")
                s.note("accepted the Prerequisite Login Agreement")
                n = await s.page.evaluate(_MARK_JS, "boxes")
                for i in range(n):  # an "I accept" box, where the agreement has one
                    await s.nav.set_checked('[data-btc-auth="box"]', index=i)
                await _submit(s, s.labels.login("agree") + s.labels.login("submit"), "agreement")
            elif state == "login":
                await s.page.evaluate(_MARK_JS, "login")
                await s.nav.fill('[data-btc-auth="username"]', creds.username)
                await s.nav.fill('[data-btc-auth="password"]', creds.password)
                await _submit(s, s.labels.login("submit"), "login")
            elif state == "expired":  # "Your session has expired": follow its way back to the login form
                s.note("the session had expired; going back to the login form")
                await _submit(s, s.labels.login("submit") + ["Log in again", "Login again", "Sign in again"], "login")
            elif state == "code":
                code = creds.code()
                if not code:
                    raise LoginFailed(f"{s.name}: /{s.interface} asks for a 2FA code, but no TOTP secret is configured "
                                      "(set secrets.totp_secret, or totp_secret = \"prompt\" in a terminal)")
                await s.page.evaluate(_MARK_JS, "code")
                await s.nav.fill('[data-btc-auth="code"]', code)
                await _submit(s, s.labels.login("code_submit"), "login")
        raise LoginFailed(f"{s.name}: could not log in to /{s.interface} (too many steps)")

    return login


async def _submit(s: Any, texts: list[str], purpose: str) -> None:
    with s.guard.allow(purpose, count=1):
        if not await s.nav.click(texts, nav_window_s=3.0):
            # Some forms submit on Enter only.
            await s.page.evaluate("() => { window.__btcOld = true; }")
            await s.page.keyboard.press("Enter")
            await s.nav.settle(nav_window_s=3.0)
