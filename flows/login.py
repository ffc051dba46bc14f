"""The /login pages, and the NSB backup (UI button or Backup API), Vault encryption key and Sync Now steps."""
from __future__ import annotations

import re
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from capture.errors import CaptureError, DownloadError, NavigationError
from flows.base import Page

ALL = ("onprem", "cloud", "hosted")

INFORMATION = Page("login.status.information", "login", ("Status", "Information"), ("Product Version", "Product Build"),
                   deployments=ALL, values=("Product Version",), min_values=3, step="product_version")
SOFTWARE = Page("login.management.software", "login", ("Management", "Software"), ("Download Backup", "Backup Settings"),
                deployments=ALL, values=("Backup Password",))
FAILOVER = Page("login.management.failover", "login", ("Management", "Failover"),
                ("Backup Operations", "Data-Sync", "Data Sync", "Failover"), min_values=2, step="failover")
SECURITY = Page("login.management.security", "login", ("Management", "Security"),
                ("Pre-shared Key", "Pre-Shared Key", "Inter-appliance"), deployments=ALL, values=("Pre-shared Key",),
                step="preshared_key")
API = Page("login.management.api_configuration", "login", ("Management", "API Configuration"),
           ("API Account", "XML API"), deployments=ALL, required=False)

PAGES: list[Page] = [INFORMATION, SOFTWARE, FAILOVER, SECURITY, API]

# The part of a form that belongs to one button: the inputs after the previous button and before it.
_SEGMENT_JS = """
(a) => {
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true;
  // Buttons, and links that act as buttons (href="#" or javascript: with a script that posts the form).
  const btns = [...document.querySelectorAll('button,input[type=submit],input[type=button],[role=button],a')].filter((b) =>
    vis(b) && !b.matches('[role=switch],[role=checkbox],[role=radio],[aria-pressed]') && (b.tagName !== 'A' || b.getAttribute('role') === 'button' || b.hasAttribute('onclick') ||
               /^(#|javascript:)/i.test(b.getAttribute('href') || '')));
  const label = (b) => norm(b.tagName === 'INPUT' ? b.value : b.innerText);
  const target = btns.find((b) => a.texts.map(norm).includes(label(b)));
  if (!target) return null;
  const prev = btns.filter((b) => b !== target && (b.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING)).pop();
  const inSeg = (el) => (el.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING) &&
    (!prev || (prev.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING));
  document.querySelectorAll('[data-btc-seg]').forEach((e) => e.removeAttribute('data-btc-seg'));
  target.setAttribute('data-btc-seg', a.mark + '-button');
  const pws = [...document.querySelectorAll('input[type=password]')].filter((e) => vis(e) && inSeg(e));
  pws.forEach((e) => e.setAttribute('data-btc-seg', a.mark + '-password'));
  // An on/off control: a checkbox, a switch, or a Yes/No list (capture.navigate sets any of them).
  const yesNo = (e) => e.tagName === 'SELECT' && e.options.length === 2 &&
    [...e.options].every((o) => ['yes', 'no', 'on', 'off', 'enabled', 'disabled'].includes(norm(o.textContent)));
  const boxes = [...document.querySelectorAll('input[type=checkbox],[role=switch],[role=checkbox],select')]
    .filter((e) => vis(e) && inSeg(e) && (e.tagName !== 'SELECT' || yesNo(e)));
  const named = (e) => (e.getAttribute('aria-labelledby') || '').split(/\\s+/).map((i) => document.getElementById(i))
    .filter(Boolean).map((l) => l.innerText).join(' ') || e.getAttribute('aria-label');
  const boxLabel = (e) => norm((e.labels && e.labels[0] && e.labels[0].innerText) || named(e) ||
    (e.nextSibling && e.nextSibling.textContent) || (e.closest('tr,div,p,li') || e.parentElement).innerText);
  const hist = boxes.find((e) => a.history.some((h) => boxLabel(e).includes(norm(h))));
  if (hist) hist.setAttribute('data-btc-seg', a.mark + '-history');
  return { passwords: pws.length, history: !!hist };
}
"""


async def _segment(s: Any, button: str, mark: str) -> dict[str, Any]:
    seg = await s.page.evaluate(_SEGMENT_JS, {"texts": s.labels.variants(button), "mark": mark,
                                              "history": s.labels.variants("Include logged history")})
    if not seg:
        raise NavigationError(f"no {button!r} button on {s.page.url.split('?')[0]}")
    return seg


class BackupUI:
    """Management > Software > Download Backup, with the backup password and the history option."""

    name = "login.backup.ui"
    interface = "login"
    deployments = ALL
    step = "nsb"
    produces = ("nsb", "ui")
    starts_on = SOFTWARE.flow

    async def run(self, ctx: Any) -> None:
        s = ctx.session
        await s.goto(s.labels.apply(SOFTWARE))
        seg = await _segment(s, "Download Backup", "nsb")
        password = ctx.secret("backup_password")
        if password:
            if not seg["passwords"]:
                raise NavigationError("no Backup Password field next to Download Backup")
            await s.nav.fill('[data-btc-seg="nsb-password"]', password)  # Backup Password and its confirmation
        history = ctx.app.take.include_history
        if seg["history"]:
            await s.nav.set_checked('[data-btc-seg="nsb-history"]', history)
        elif history:
            raise NavigationError("no Include logged history checkbox next to Download Backup")
        path = await s.download(lambda: s.nav.press('[data-btc-seg="nsb-button"]'), "artifacts/login-backup-ui.nsb",
                                "backup download")
        ctx.add_artifact("nsb", path, "ui", sha256=s.last_sha256, secret_ref="backup_password" if password else None,
                         options={"include_history": history, "password_protected": bool(password)})


class VaultKeyUI:
    """Management > Software > Backup Vault Encryption Key > Download Vault Encryption Key (password required)."""

    name = "login.vault_key"
    interface = "login"
    deployments = ALL
    step = "vault_key"
    produces = ("vault_key", "ui")
    starts_on = SOFTWARE.flow

    async def run(self, ctx: Any) -> None:
        s = ctx.session
        password = ctx.secret("vault_key_password")
        if not password:
            raise CaptureError("no vault key password configured (secrets.vault_key_password); the vendor requires one")
        await s.goto(s.labels.apply(SOFTWARE))
        seg = await _segment(s, "Download Vault Encryption Key", "vault")
        if not seg["passwords"]:
            raise NavigationError("no password field next to Download Vault Encryption Key")
        await s.nav.fill('[data-btc-seg="vault-password"]', password)
        path = await s.download(lambda: s.nav.press('[data-btc-seg="vault-button"]'),
                                "artifacts/vault-encryption-key.bin", "vault key download")
        ctx.add_artifact("vault_key", path, "ui", sha256=s.last_sha256, secret_ref="vault_key_password",
                         options={"password_protected": True})


class SyncNow:
    """Management > Failover > Sync Now: the one state-changing click, only when the inventory asks."""

    name = "login.failover.sync_now"
    interface = "login"
    deployments = ("onprem",)
    step = "sync_now"
    produces = None  # a click, not a file: redone on --resume
    starts_on = None

    async def run(self, ctx: Any) -> None:
        s = ctx.session
        await s.goto(s.labels.apply(FAILOVER))
        loc = await s.nav.find(s.labels.variants("Sync Now"), allow_destructive=True)
        if loc is None:
            raise NavigationError("no Sync Now button on Management > Failover (is failover set up?)")
        with s.guard.allow("sync now (asked for)", count=2), s.confirming():  # "Are you sure?": yes, this once
            await loc.click()
            await s.nav.settle()
        ctx.note("clicked Sync Now on Management > Failover, as the inventory asks (take.sync_now)")


class BackupAPI:
    """The Backup API: POST /oauth2/token (client credentials), then POST /api/backup, streamed to disk."""

    name = "login.backup.api"
    interface = "api"
    deployments = ALL
    step = "nsb"
    produces = ("nsb", "api")
    starts_on = None  # no browser

    async def run(self, ctx: Any) -> None:
        from capture.fetch import ApiClient

        client_id, secret = ctx.app.accounts.api_client_id, ctx.secret("api_client_secret")
        if not (client_id and secret):
            raise CaptureError("no API client configured (accounts.api_client_id and secrets.api_client_secret)")
        base = re.sub(r"/(login|appliance)/?$", "", ctx.app.url or ctx.app.login_url).rstrip("/")
        password = ctx.secret("backup_password")
        body = {"password": password} if password else None
        async with ApiClient(ctx) as api:
            # A dropped connection or a 5xx gets one more try (a fresh token, a fresh file).
            async for attempt in AsyncRetrying(stop=stop_after_attempt(2), wait=wait_exponential(max=8), reraise=True,
                                               retry=retry_if_exception(lambda e: getattr(e, "transient", False)),
                                               before_sleep=lambda rs: ctx.note(
                                                   f"Backup API: retrying after {rs.outcome.exception()}")):
                with attempt:
                    token = await api.token(f"{base}/oauth2/token", client_id, secret)
                    path = await api.download("POST", f"{base}/api/backup", "artifacts/login-backup-api.nsb",
                                              bearer=token, json=body)
        ctx.add_artifact("nsb", path, "api", sha256=api.last_sha256, secret_ref="backup_password" if password else None,
                         options={"include_history": True, "password_protected": bool(password),
                                  "note": "the Backup API includes logged data"})


def nsb_steps(mode: str, api_ready: bool) -> list[Any]:
    """auto: the API when credentials are configured, with the UI as fallback; or exactly what was asked."""
    if mode == "none":
        return []
    if mode == "ui" or (mode == "auto" and not api_ready):
        return [BackupUI()]
    if mode == "api":
        return [BackupAPI()]
    if mode == "both":
        return [BackupAPI(), BackupUI()]
    return [FallbackToUI(BackupAPI(), BackupUI())]


class FallbackToUI:
    """Try the API; if it fails, note why and take the backup through the UI button."""

    name = "login.backup"
    interface = "login"
    deployments = ALL
    step = "nsb"
    produces = ("nsb", None)  # either route
    starts_on = None

    def __init__(self, first: Any, second: Any) -> None:
        self.first, self.second = first, second

    async def run(self, ctx: Any) -> None:
        try:
            await self.first.run(ctx)
        except (CaptureError, DownloadError, OSError) as e:
            ctx.note(f"Backup API failed ({e}); took the backup with the Download Backup button instead")
            ctx.snapshot.warnings.append(ctx.redactor.scrub(f"Backup API failed: {e}; the UI download was used"))
            await self.second.run(ctx)
