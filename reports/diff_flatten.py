"""A snapshot as comparable items: fields keyed by flow, section and label, tables, and certificate facts."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capture.records import PageRecord, Snapshot

_PREFIX = re.compile(r"^[^:]{1,60}?\s::\s")  # the vendor's "Area :: " heading prefix
_SEPARATORS = re.compile(r"[\s,;]+")
_TRUE = {"on", "yes", "true", "enabled", "checked"}
_FALSE = {"off", "no", "false", "disabled", "unchecked"}
_DASHES = {"—", "–", "-", "--"}
HEADING = "(page heading)"


def norm(text: str | None) -> str:
    """Case-, space- and colon-insensitive form of a label or title."""
    return " ".join((text or "").replace("\u00a0", " ").split()).rstrip(":").strip().casefold()


def display_section(title: str) -> str:
    """'Security :: TLS Configuration' → 'TLS Configuration' (what a person would call the section)."""
    return _PREFIX.sub("", " ".join(title.split()), count=1) or title


def section_key(title: str) -> str:
    # "SSL/TLS Configuration" (23.3) and "TLS Configuration" (25.1) are one section.
    return re.sub(r"\bssl\s*/\s*", "", norm(display_section(title)))


def value_key(value: str | None) -> str:
    """What two values are compared as: lists separated by commas or spaces are one list; on = yes."""
    v = _SEPARATORS.sub(" ", (value or "").replace("\u00a0", " ")).strip().casefold()
    if v in _DASHES:
        return ""
    if v in _TRUE:
        return "on"
    if v in _FALSE:
        return "off"
    return v


@dataclass
class Item:
    flow: str
    section: str  # display title
    label: str
    skey: str
    lkey: str
    occ: int
    value: str | None
    kind: str = "text"
    secret: bool = False
    is_set: bool | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.skey, self.lkey, self.occ)

    @property
    def shown(self) -> str | None:
        """The value as reports may show it: secrets only as set / not set."""
        if self.secret:
            return {True: "set", False: "not set"}.get(self.is_set, "unknown")  # type: ignore[arg-type]
        return self.value

    @property
    def cmp(self) -> str:
        return f"<secret {self.is_set}>" if self.secret else value_key(self.value)


@dataclass
class TableView:
    section: str  # display title of the section holding it
    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class PageView:
    flow: str
    title: str
    status: str
    items: list[Item] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)
    record: PageRecord | None = None


@dataclass
class SnapView:
    snapshot: Snapshot
    folder: Path | None
    pages: dict[str, PageView]
    own_names: list[str]  # hostname, short name, serial: what differs between peers by design

    @property
    def name(self) -> str:
        return self.snapshot.name


def _headings(p: PageRecord) -> set[str]:
    return {norm(m) for m in p.menu_path} | {norm(p.title)}


def _group(fields: list[Any]) -> list[tuple[str | None, list[Any]]]:
    """Split a section whose labels repeat (one block per NIC) into blocks named by their first field's value."""
    seen: set[str] = set()
    first_dup = None
    for f in fields:
        k = norm(f.label)
        if k in seen:
            first_dup = k
            break
        seen.add(k)
    if first_dup is None:
        return [(None, fields)]
    blocks: list[tuple[str | None, list[Any]]] = [(None, [])]
    for f in fields:
        if norm(f.label) == first_dup:
            blocks.append(("", []))
        blocks[-1][1].append(f)
    named: list[tuple[str | None, list[Any]]] = [blocks[0]] if blocks[0][1] else []
    values = [(b[1][0].value or "").strip() for b in blocks[1:]]
    unique = len(set(values)) == len(values) and all(values) and not any(b[1][0].secret for b in blocks[1:])
    for i, (_, fs) in enumerate(blocks[1:], 1):
        named.append((values[i - 1] if unique else f"{fs[0].label} #{i}", fs))
    return named


def page_view(p: PageRecord) -> PageView:
    view = PageView(p.flow, p.title, p.status, record=p)
    if p.status != "ok":
        return view
    heads = _headings(p)
    counts: dict[tuple[str, str], int] = {}
    for s in p.sections:
        heading = " > " in s.title or norm(s.title) in heads
        for block, fields in _group(s.fields):
            # A block of repeated labels is keyed by its own name ("eth0"), as 25.1 titles such sections.
            sec = block if block else (HEADING if heading else display_section(s.title))
            skey = norm(block) if block else (HEADING if heading else section_key(s.title))
            for f in fields:
                if heading and f.kind == "static":
                    continue  # the page's own title line, not a setting
                k = (skey, norm(f.label))
                counts[k] = counts.get(k, 0) + 1
                view.items.append(Item(p.flow, sec, f.label, skey, k[1], counts[k], f.value, f.kind, f.secret,
                                       f.is_set))
        for t in s.tables:
            view.tables.append(TableView(display_section(s.title), t.title, list(t.headers), [list(r) for r in t.rows]))
    return view


def _virtual(flow: str, title: str, section: str, facts: list[tuple[str, Any]]) -> PageView:
    view = PageView(flow, title, "ok")
    for label, value in facts:
        if value in (None, "", []):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        view.items.append(Item(flow, section, label, norm(section), norm(label), 1, text, "static"))
    return view


def certificate_views(snap: Snapshot) -> list[PageView]:
    """The exported .p12 (as verified at capture) and the certificate presented over TLS."""
    out = []
    p12 = snap.artifact("p12")
    d = p12.verification.details if p12 and p12.verification else {}
    if d.get("sha256"):
        chain = d.get("chain") or []
        key = d.get("key") or {}
        out.append(_virtual("artifacts.p12", "Exported certificate (.p12)", "Certificate", [
            ("Subject", d.get("subject")), ("Issuer", d.get("issuer")),
            ("Alternative names (DNS)", sorted(d.get("sans_dns") or [])),
            ("Alternative names (IP)", sorted(d.get("sans_ip") or [])),
            ("Serial number", d.get("serial")), ("Valid from", d.get("not_before")), ("Valid until", d.get("not_after")),
            ("SHA-256 fingerprint", d.get("sha256")), ("SHA-1 fingerprint", d.get("sha1")),
            ("Public key SHA-256", d.get("spki_sha256")),
            ("Key", " ".join(str(key[k]) for k in ("type", "size") if key.get(k))),
            ("Chain", " → ".join(c.get("subject", "?") for c in chain)),
            ("Chain CA fingerprints", [c.get("sha256", "?") for c in chain[1:]]),
        ]))
    if snap.tls:
        t = snap.tls[0]
        out.append(_virtual("tls.presented", "Certificate presented over TLS", "Presented certificate", [
            ("SHA-256 fingerprint", t.sha256), ("Subject", t.subject), ("Issuer", t.issuer),
            ("Alternative names", sorted(t.sans)), ("Valid until", t.not_after.isoformat() if t.not_after else None),
        ]))
    return out


def own_names(snap: Snapshot) -> list[str]:
    names = [snap.appliance_hostname, snap.identity.hostname, snap.identity.serial_number]
    for host in list(names[:2]):
        if host and "." in host:
            names.append(host.split(".")[0])
    return sorted({n for n in names if n and len(n) >= 3}, key=len, reverse=True)


def snap_view(snap: Snapshot, folder: Path | None = None) -> SnapView:
    pages = {p.flow: page_view(p) for p in snap.pages}
    for v in certificate_views(snap):
        pages[v.flow] = v
    return SnapView(snap, folder, pages, own_names(snap))


def without_own_names(value: str, names: list[str]) -> str:
    """The value with this appliance's own names replaced by a placeholder (bt1-mailer@ → <self>-mailer@)."""
    for n in names:
        value = re.sub(rf"(?<![\w-]){re.escape(n.casefold())}(?![\w])", "<self>", value)
    return value
