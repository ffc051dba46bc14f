"""Security > Certificates export, the vendor's 11 steps: pick the site certificate, export a .p12 with key and chain."""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from capture.errors import CaptureError, NavigationError
from capture.records import Table
from flows.base import Page
from flows.extract import controls
from flows.settings.certs import parse_table
from flows.settings.model import Candidate, Certificate, Check, SiteChoice
from flows.settings.appliance import own_addresses
from flows.settings.parts import BASICS_FLOW, IP_FLOW
from flows.vocabulary import Vocabulary

CERTS = Page("appliance.security.certificates", "appliance", ("Security", "Certificates"),
             ("Alternative Name", "Other Certificates", "Issued To"), deployments=("onprem", "cloud"))
EXPORT_PAGE = Page("appliance.security.certificate_export", "appliance", ("Security", "Certificates", "Export"),
                   ("Include Private Key", "Include Certificate Chain"), deployments=("onprem", "cloud"),
                   step="certificate", required=False)

TABLE_WAIT_S = 10.0  # longest wait for the certificate table after the page loaded (content filled in by script)

# The answer to an export's "Are you sure?" (an in-page dialog; window.confirm is accepted by the session).
CONFIRM = ("OK", "Yes", "Continue", "Confirm", "Export")

# Every visible table, its rows marked ("t-i") so the chosen row's checkbox can be ticked; Python reads the headers.
_TABLES_JS = """
() => {
  const vis = (el) => el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true;
  const GRID = '[role=table],[role=grid],[role=treegrid]';
  const BOX = 'input[type=checkbox],[role=checkbox]';
  const out = [];
  // <table>s and ARIA grids (role=table/grid: rows of cells) alike.
  [...document.querySelectorAll('table,' + GRID)].filter(vis).forEach((table, t) => {
    const native = table.tagName === 'TABLE';
    const rows = native ? [...table.rows].filter((r) => r.closest('table') === table)
      : [...table.querySelectorAll('[role=row]')].filter((r) => r.closest(GRID) === table);
    const cellsOf = (r) => native ? [...r.cells]
      : [...r.children].filter((c) => c.matches('[role=cell],[role=gridcell],[role=columnheader],[role=rowheader]'));
    const isTh = (c) => c.tagName === 'TH' || c.matches('[role=columnheader]');
    // The header row: <thead>, a row of <th> or column headers, or (older pages) a first row of bold <td>s.
    const head = (native && table.tHead && table.tHead.rows[0]) || rows.find((r) => cellsOf(r).some(isTh)) || rows[0];
    if (!head) return;
    const body = rows.filter((r) => r !== head && !(native && r.parentElement === table.tHead) && vis(r));
    out.push({ headers: cellsOf(head).map((c) => (c.innerText || '').trim()), rows: body.map((r, i) => {
      const box = r.querySelector(BOX);
      if (box) box.setAttribute('data-btc-certbox', `${t}-${i}`);
      // A cell's text, and the state of a checkbox or radio in it (the Default mark is often one).
      const state = (x) => (x.matches('[role=checkbox]') ? x.getAttribute('aria-checked') === 'true' : x.checked) ? 'on' : 'off';
      const cell = (c) => [(c.innerText || '').trim(), ...[...c.querySelectorAll(BOX + ',input[type=radio]')].map(state)]
        .filter(Boolean).join(' ');
      return { mark: `${t}-${i}`, cells: cellsOf(r).map(cell), box: !!box };
    }) });
  });
  return out;
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


def name_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.count(".") == pattern.count(".") and host.endswith(pattern[1:])
    return pattern == host


def choose(certs: list[Certificate], hostnames: list[str], own: list[str], own_from: str) -> SiteChoice:
    """The site certificate among the installed ones (seed steps 3-4).

    A candidate names the appliance or site hostname in its Alternative Names and has Private Key? Yes. The
    appliance's own addresses (its IP Configuration page, never the address bt-capture connected to) check each
    candidate's IP binding when known; among several candidates the one bound to an own address wins, then the
    default mark, then the latest expiry."""
    names = list(dict.fromkeys(h.lower().rstrip(".") for h in hostnames if h))
    out = SiteChoice(hostnames=names, own_addresses=sorted(own), addresses_from=own_from)
    ranked: list[tuple[tuple[bool, bool, date], Certificate]] = []
    for c in certs:
        named = [h for h in names if any(name_matches(s, h) for s in c.sans)]
        if not named:
            continue
        bound = sorted(set(c.ips) & set(own))
        checks = [Check(name="hostname in Alternative Names", passed=True, detail=", ".join(named)),
                  Check(name="Private Key? Yes", passed=c.private_key is True,
                        detail="yes" if c.private_key else "no" if c.private_key is False else "not shown"),
                  Check(name="bound to the appliance's own address", passed=bool(bound) if own else None,
                        detail=(", ".join(bound) if bound else f"IP Address(es) {', '.join(c.ips) or 'none'} do not "
                                f"include {', '.join(sorted(own))}") if own else own_from),
                  Check(name="default certificate", passed=c.default, detail="marked default" if c.default else
                        "not marked default" if c.default is False else "not shown"),
                  Check(name="expiry", passed=None, detail=c.expires or "not shown")]
        out.candidates.append(Candidate(name=c.name, qualifies=c.private_key is True, checks=checks))
        if c.private_key is True:
            ranked.append(((bool(bound), bool(c.default), c.expires_on or date.min), c))
    if not ranked:
        why = "; ".join(f"{c.name}: Private Key? is {c.checks[1].detail}" for c in out.candidates)
        out.reason = (f"no certificate qualifies: {why}" if why else
                      f"no certificate lists {' or '.join(names) or 'the appliance'} in its Alternative Names")
        return out
    ranked.sort(key=lambda x: x[0], reverse=True)
    (ip, default, expiry), best = ranked[0]
    out.name, out.row = best.name, best.row
    others = [c for _, c in ranked[1:]]
    if not others:
        out.reason = f"the only certificate that names {', '.join(names)} in its Alternative Names with a private key"
    else:
        tie = [k for k, _ in ranked[1:] if k == (ip, default, expiry)]
        rest = ranked[1][0]
        why = ("bound to the appliance's own address " + ", ".join(sorted(set(best.ips) & set(own))) if ip and not rest[0]
               else "marked default" if default and not rest[1]
               else f"the latest expiry ({best.expires})" if expiry > rest[2]
               else "the first listed (nothing else tells them apart)")
        out.reason = f"{len(ranked)} certificates qualify ({', '.join(c.name for _, c in ranked)}); chosen: {why}"
        if tie:
            out.reason += f"; {len(tie)} other(s) rank the same"
    if own and not ip:
        out.reason += (f"; note: its IP Address(es) ({', '.join(best.ips) or 'none'}) do not include the appliance's "
                       f"own addresses ({', '.join(sorted(own))})")
    return out


def read_table(tables: list[dict[str, Any]], vocab: Vocabulary) -> tuple[list[Certificate], list[dict[str, Any]]] | None:
    """The certificate table among the page's tables (by its headers), parsed, with its rows as the page holds them."""
    for t in tables:
        certs = parse_table(Table(headers=t["headers"], rows=[r["cells"] for r in t["rows"]]), vocab)
        if certs is not None:
            return certs, t["rows"]
    return None


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
        vocab = Vocabulary.load(labels)
        found, framed = None, None
        deadline = asyncio.get_running_loop().time() + TABLE_WAIT_S  # the table may be filled in after load
        while found is None and framed is None:
            found = read_table(await s.page.evaluate(_TABLES_JS), vocab)
            if found is None:
                framed = await _framed_table(s, vocab)
            if found is None and framed is None:
                if asyncio.get_running_loop().time() >= deadline:
                    break
                await asyncio.sleep(0.25)
        if framed:
            # The table sits in a frame: open the frame's document on its own, as "open frame in new tab" does,
            # so the selection, the action list and Apply work on one page.
            await s.page.goto(framed, wait_until="load")
            deadline = asyncio.get_running_loop().time() + TABLE_WAIT_S
            while (found := read_table(await s.page.evaluate(_TABLES_JS), vocab)) is None \
                    and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.25)
        if found is None:
            raise NavigationError("no certificate table with Alternative Names and Private Key? columns")
        certs, rows = found
        own, own_from = own_addresses(ctx.pages.get(IP_FLOW), vocab, ctx.app.deployment)
        choice = choose(certs, [ctx.app.host, ctx.app.site] + _shown_hostname(ctx),
                        own, own_from)
        choice.decided_by = "export"
        if choice.name is None or choice.row is None:
            raise CaptureError(choice.reason)
        row = rows[choice.row]
        if not row["box"]:
            raise CaptureError(f"{choice.name}: no checkbox to select it")
        await s.nav.set_checked(f'[data-btc-certbox="{row["mark"]}"]')
        chosen = await s.page.evaluate(_SELECT_JS, labels.variants("Export"))
        with s.guard.allow("certificate export", count=2):
            if chosen:
                await s.nav.choose('[data-btc-action="1"]', chosen)
            elif not await _menu_choice(s, labels.variants("Export")):
                raise NavigationError("no Export action next to the certificate table")
            if not await s.nav.click(labels.variants("Apply")):
                # some versions export as soon as Export is chosen
                await s.nav.settle()
        if url := await _frame_showing(s, [t for lm in EXPORT_PAGE.landmarks for t in labels.variants(lm)]):
            await s.page.goto(url, wait_until="load")  # the export form sits in a frame: open it on its own
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
        async def export() -> None:  # Export, then yes to "Export this certificate?" (a confirm or an in-page dialog)
            await s.nav.press(s.nav.FOUND)
            await s.nav.confirm_modal([t for c in CONFIRM for t in labels.variants(c)])

        with s.confirming():
            path = await s.download(export, "artifacts/site-certificate.p12", "certificate export")
        ctx.add_artifact("p12", path, "ui", sha256=s.last_sha256, secret_ref="p12_passphrase", options={
            "certificate": choice.name, "row": [c[:120] for c in row["cells"]],
            "include": ["certificate", "private key", "certificate chain"],
            "choice": choice.model_dump(mode="json")})


async def _framed_table(s: Any, vocab: Vocabulary) -> str | None:
    """The URL of a same-origin frame of this page that holds the certificate table, if one does."""
    for frame in s.page.frames[1:]:
        try:
            if read_table(await frame.evaluate(_TABLES_JS), vocab) is not None:
                return frame.url
        except Exception:  # detached, or not scriptable
            continue
    return None


async def _frame_showing(s: Any, texts: list[str], wait_s: float = 3.0) -> str | None:
    """The URL of a same-origin frame showing one of texts while the page itself does not, once loaded."""
    js = "(t) => { const b = (document.body && document.body.innerText || '').toLowerCase(); return t.some((x) => b.includes(x.toLowerCase())); }"
    deadline = asyncio.get_running_loop().time() + wait_s
    while asyncio.get_running_loop().time() < deadline:
        try:
            if await s.page.evaluate(js, texts):
                return None
            for frame in s.page.frames[1:]:
                if not frame.is_detached() and await frame.evaluate(js, texts):
                    return frame.url
        except Exception:  # navigating
            pass
        await asyncio.sleep(0.15)
    return None


def _shown_hostname(ctx: Any) -> list[str]:
    """The hostname Status > Basics showed (captured before Certificates), when it was."""
    from flows.settings.read import Reader

    rec = ctx.pages.get(BASICS_FLOW)
    return [v] if rec is not None and (v := Reader(rec, Vocabulary.load(ctx.session.labels)).text("Hostname").value) \
        else []


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
