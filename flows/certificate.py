"""Security > Certificates export, the vendor's 11 steps: pick the site certificate, export a .p12 with key and chain."""
from __future__ import annotations

import ipaddress
import re
from typing import Any

from capture.errors import CaptureError, NavigationError
from flows.base import Page
from flows.extract import controls

CERTS = Page("appliance.security.certificates", "appliance", ("Security", "Certificates"),
             ("Alternative Name", "Other Certificates", "Issued To"), deployments=("onprem", "cloud"))
EXPORT_PAGE = Page("appliance.security.certificate_export", "appliance", ("Security", "Certificates", "Export"),
                   ("Include Private Key", "Include Certificate Chain"), deployments=("onprem", "cloud"),
                   step="certificate", required=False)

# Find the certificate table by its headers and mark each row, so the row's checkbox can be ticked.
_TABLE_JS = """
(want) => {
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true;
  for (const table of document.querySelectorAll('table')) {
    if (!vis(table)) continue;
    const rows = [...table.rows].filter((r) => r.closest('table') === table);
    // The header row: <thead>, a row of <th>, or (older pages) a first row of bold <td>s.
    const head = (table.tHead && table.tHead.rows[0]) || rows.find((r) => [...r.cells].some((c) => c.tagName === 'TH')) || rows[0];
    if (!head) continue;
    const headers = [...head.cells].map((c) => norm(c.innerText));
    if (!want.every((alts) => headers.some((h) => alts.map(norm).includes(h)))) continue;
    const body = rows.filter((r) => r !== head && r.parentElement !== table.tHead && vis(r));
    return { headers, rows: body.map((r, i) => {
      r.setAttribute('data-btc-certrow', String(i));
      return { cells: [...r.cells].map((c) => (c.innerText || '').trim()), box: !!r.querySelector('input[type=checkbox]') };
    }) };
  }
  return null;
}
"""

# The action dropdown next to the table: a <select> offering an "Export" option.
_SELECT_JS = """
(texts) => {
  const norm = (s) => (s || '').replace(/[\\u00a0\\s]+/g, ' ').trim().toLowerCase();
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true;
  const sel = [...document.querySelectorAll('select')].find((s) => vis(s) && [...s.options].some((o) => texts.map(norm).includes(norm(o.textContent))));
  if (!sel) return null;
  sel.setAttribute('data-btc-action', '1');
  return [...sel.options].find((o) => texts.map(norm).includes(norm(o.textContent))).textContent.trim();
}
"""


def _tokens(cell: str) -> list[str]:
    return [t.lower() for t in re.split(r"[\s,;]+", cell) if t]


def name_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.count(".") == pattern.count(".") and host.endswith(pattern[1:])
    return pattern == host


def _col(headers: list[str], variants: list[str]) -> int | None:
    low = [v.lower() for v in variants]
    return next((i for i, h in enumerate(headers) if h in low), None)


def choose_row(headers: list[str], rows: list[dict[str, Any]], *, host: str, ips: set[str],
               cols: dict[str, list[str]]) -> tuple[int | None, list[str]]:
    """The row of the site certificate, or None and why each candidate failed (seed steps 3 and 4)."""
    alt, key, ipc = _col(headers, cols["alt"]), _col(headers, cols["key"]), _col(headers, cols["ip"])
    why: list[str] = []
    if alt is None or key is None:
        return None, [f"the certificate table has no {'Alternative Names' if alt is None else 'Private Key?'} column"]
    for i, row in enumerate(rows):
        cells = row["cells"]
        if len(cells) <= max(alt, key):
            continue
        label = next((c for c in cells if c.strip()), f"row {i + 1}")[:60]
        if not any(name_matches(t, host) for t in _tokens(cells[alt])):
            continue
        if cells[key].strip().lower() not in ("yes", "true", "✓", "✔", "y"):
            why.append(f"{label}: Private Key? is {cells[key].strip() or 'empty'}")
            continue
        if ipc is not None and ips and len(cells) > ipc:
            shown = {t for t in _tokens(cells[ipc]) if _is_ip(t)}
            if shown and not shown & ips:
                why.append(f"{label}: IP Address(es) {', '.join(sorted(shown))} do not include {', '.join(sorted(ips))}")
                continue
        if not row["box"]:
            why.append(f"{label}: no checkbox to select it")
            continue
        return i, why
    if not why:
        why.append(f"no certificate lists {host} in its Alternative Names")
    return None, why


def _is_ip(t: str) -> bool:
    try:
        ipaddress.ip_address(t)
        return True
    except ValueError:
        return False


class ExportCertificate:
    """Security > Certificates: tick the site certificate, Export, Apply, include key and chain, save the .p12."""

    name = "appliance.certificate.p12"
    interface = "appliance"
    deployments = ("onprem", "cloud")
    step = "certificate"
    produces = ("p12", "ui")
    starts_on = CERTS.flow

    async def run(self, ctx: Any) -> None:
        s, labels = ctx.session, ctx.session.labels
        passphrase = ctx.secret("p12_passphrase")
        if not passphrase:
            raise CaptureError("no p12 passphrase configured (secrets.p12_passphrase); the vendor requires one")
        await s.goto(labels.apply(CERTS))
        cols = {"alt": labels.variants("Alternative Names"), "key": labels.variants("Private Key?"),
                "ip": labels.variants("IP Address(es)")}
        table = await s.page.evaluate(_TABLE_JS, [cols["alt"], cols["key"]])
        if not table:
            raise NavigationError("no certificate table with Alternative Names and Private Key? columns")
        host = ctx.app.site if ctx.app.deployment == "cloud" else ctx.app.host
        row, why = choose_row(table["headers"], table["rows"], host=host, ips=ctx.appliance_ips(), cols=cols)
        if row is None:
            raise CaptureError("no certificate qualifies for export: " + "; ".join(why))
        cells = table["rows"][row]["cells"]
        await s.nav.set_checked(f'[data-btc-certrow="{row}"] input[type=checkbox]')
        chosen = await s.page.evaluate(_SELECT_JS, labels.variants("Export"))
        with s.guard.allow("certificate export", count=2):
            if chosen:
                await s.nav.choose('[data-btc-action="1"]', chosen)
            elif not await _menu_choice(s, labels.variants("Export")):
                raise NavigationError("no Export action next to the certificate table")
            if not await s.nav.click(labels.variants("Apply")):
                # some versions export as soon as Export is chosen
                await s.nav.settle()
        await s.expect(EXPORT_PAGE)
        boxes = ("Include Certificate", "Include Private Key", "Include Certificate Chain")
        for box, sel in zip(boxes, await controls(s.page, labels, [labels.variants(b) for b in boxes])):
            if sel is None:
                raise NavigationError(f"no {box!r} checkbox on the export page")
            await s.nav.set_checked(sel)
        # Passphrase and, where asked, its confirmation
        if not await s.nav.fill("input[type=password]", passphrase):
            raise NavigationError("the export page has no Passphrase field")
        rec = await s.capture_current(EXPORT_PAGE)
        ctx.add_page(rec)
        if await s.nav.find(labels.variants("Export")) is None:
            raise NavigationError("no Export button on the export page")
        path = await s.download(lambda: s.nav.press(s.nav.FOUND), "artifacts/site-certificate.p12",
                                "certificate export")
        ctx.add_artifact("p12", path, "ui", sha256=s.last_sha256, secret_ref="p12_passphrase", options={
            "certificate": cells[_col(table["headers"], [c.lower() for c in cols["alt"]]) or 0][:200],
            "row": [c[:120] for c in cells], "include": ["certificate", "private key", "certificate chain"]})


async def _menu_choice(s: Any, texts: list[str]) -> bool:
    """Pick an action from a custom dropdown: open each popup button until the choice shows, then click it."""
    if await s.nav.click(texts, expect_nav=False):
        return True
    toggles = s.page.locator("[aria-haspopup]:visible, [aria-expanded]:visible")
    for i in range(await toggles.count()):
        await toggles.nth(i).click()
        if await s.nav.click(texts, expect_nav=False):
            return True
        await toggles.nth(i).click()  # close it again
    return False
