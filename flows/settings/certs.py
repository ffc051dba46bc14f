"""The certificate part: the installed-certificate table, the exported .p12 as verified, the certificate presented."""
from __future__ import annotations

import ipaddress
import re
from datetime import date

from capture.records import Snapshot, Table
from flows.settings.model import ChainCert, Certificate, Exported, Items, Presented, Source, Text
from flows.settings.read import Reader, blank, flag, listed
from flows.vocabulary import Vocabulary

COLUMNS = ("Alternative Names", "Private Key?")
OPTIONAL = ("Issued To", "Friendly Name", "Issued By", "IP Address(es)", "Expires", "Default")
# What some versions append to a certificate's name in the table: a note, not part of the name.
_NOTE = re.compile(r"\s+(Warning:.*|\((?:expires|expired) in .*\))$", re.I | re.S)


def _date(text: str | None) -> date | None:
    if not text:
        return None
    from dateutil import parser

    try:
        return parser.parse(text, fuzzy=False).date()
    except (ValueError, OverflowError):
        return None


def is_ip(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
        return True
    except ValueError:
        return False


def parse_table(table: Table, vocab: Vocabulary, *, flow: str = "", section: str = "") -> list[Certificate] | None:
    """The rows of a certificate table (any column order), or None when the table is not one."""
    cols = {c: vocab.column(table.headers, c) for c in COLUMNS + OPTIONAL}
    if any(cols[c] is None for c in COLUMNS):
        return None
    out = []
    for ri, row in enumerate(table.rows):
        def cell(name: str) -> str:
            i = cols[name]
            return row[i] if i is not None and i < len(row) else ""
        if len(row) < 2:
            continue  # "No certificates are installed."
        shown = " ".join(cell("Issued To").split())
        m = _NOTE.search(shown)
        name = (shown[:m.start()] if m else shown) or blank(cell("Friendly Name")) or \
            next(iter(listed(cell("Alternative Names"))), f"row {ri + 1}")
        box = table.boxes[ri] if ri < len(table.boxes) else None
        out.append(Certificate(
            name=name, friendly_name=blank(cell("Friendly Name")), issuer=blank(cell("Issued By")),
            sans=listed(cell("Alternative Names")), ips=[t for t in listed(cell("IP Address(es)")) if is_ip(t)],
            private_key=flag(cell("Private Key?")), expires=blank(cell("Expires")),
            expires_on=_date(blank(cell("Expires"))), default=flag(cell("Default")) if cols["Default"] is not None
            else None, notes=[m.group(1)] if m else [], row=ri,
            src=Source(flow=flow, section=section, label=name, row=ri, box=box)))
    return out


def installed(r: Reader) -> list[Certificate] | None:
    if not r.ok:
        return None
    for si, ti, t, _ in r.tables(*COLUMNS):
        certs = parse_table(t, r.vocab, flow=r.flow, section=r.src(si).section)
        if certs is not None:
            for ri in range(len(t.rows)):
                r.use_row(si, ti, ri)
            # The dropdown beside the table is its action menu (Export, Delete): a control, not a setting.
            for fi, f in enumerate(r.rec.sections[si].fields):  # type: ignore[union-attr]
                if f.kind == "select":
                    r.used.add((si, fi))
            return certs
    return []


def exported(snap: Snapshot) -> Exported | None:
    arts = [a for a in snap.artifacts if a.kind == "p12" and a.verification and a.verification.details.get("sha256")]
    good = [a for a in arts if a.verification and a.verification.verdict == "pass"]
    art = (good or arts or [None])[0]
    if art is None:
        return None
    d = art.verification.details  # type: ignore[union-attr]

    def src(k: str) -> Source:
        return Source(flow="artifacts.p12", section="Exported certificate (.p12)", label=EXPORTED.get(k, k))

    def t(k: str) -> Text:
        return Text(value=str(d[k]) if d.get(k) not in (None, "") else None, src=src(k))
    key = d.get("key") or {}
    return Exported(subject=t("subject"), issuer=t("issuer"),
                    sans_dns=Items(value=sorted(d.get("sans_dns") or []), src=src("sans_dns")),
                    sans_ip=Items(value=sorted(d.get("sans_ip") or []), src=src("sans_ip")), serial=t("serial"),
                    not_before=t("not_before"), not_after=t("not_after"), sha256=t("sha256"), sha1=t("sha1"),
                    spki_sha256=t("spki_sha256"),
                    key=Text(value=" ".join(str(key[k]) for k in ("type", "size") if key.get(k)) or None,
                             src=src("key")),
                    chain=[ChainCert(subject=c.get("subject", ""), issuer=c.get("issuer", ""),
                                     sha256=c.get("sha256", ""), not_after=c.get("not_after"))
                           for c in d.get("chain") or []])


def presented(snap: Snapshot) -> Presented | None:
    if not snap.tls:
        return None
    t = snap.tls[0]

    def src(k: str) -> Source:
        return Source(flow="tls.presented", section=f"Presented over TLS by {t.host}:{t.port}", label=EXPORTED[k])
    return Presented(sha256=Text(value=t.sha256, src=src("sha256")), subject=Text(value=t.subject or None,
                                                                                  src=src("subject")),
                     issuer=Text(value=t.issuer or None, src=src("issuer")),
                     sans=Items(value=sorted(t.sans), src=src("sans")),
                     not_after=Text(value=t.not_after.isoformat() if t.not_after else None, src=src("not_after")))


EXPORTED = {"subject": "Subject", "issuer": "Issuer", "sans_dns": "Alternative names (DNS)",
            "sans_ip": "Alternative names (IP)", "sans": "Alternative names", "serial": "Serial number",
            "not_before": "Valid from", "not_after": "Valid until", "sha256": "SHA-256 fingerprint",
            "sha1": "SHA-1 fingerprint", "spki_sha256": "Public key SHA-256", "key": "Key"}
