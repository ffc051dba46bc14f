"""Finding values by the words a person sees: the flows' alias vocabulary plus the few labels the runbook needs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from capture.records import Field, PageRecord, Section, Snapshot, Table
from reports.view import clean_table, shown

# Labels the runbook looks up that the capture vocabulary (flows/labels.toml) has no aliases for.
EXTRA: dict[str, list[str]] = {
    "Hostname": ["Host Name", "Appliance Hostname", "Host"],
    "Default Gateway": ["IPv4 Default Gateway", "Gateway"],
    "IPv6 Default Gateway": ["Default IPv6 Gateway", "IPv6 Gateway"],
    "DNS Servers": ["DNS Server", "DNS Server(s)", "DNS", "Name Servers", "Nameservers"],
    "Interface": ["NIC", "Network Interface", "Device"],
    "IP Address": ["IP Addresses", "IP Address(es)", "Address"],
    "Destination": ["Network", "Destination Network", "Target"],
    "Remote Syslog Server": ["Syslog Server", "Syslog Servers", "Remote Syslog Servers"],
    "Message Format": ["Syslog Format", "Syslog Message Format"],
    "Inter-appliance Communication Pre-shared Key": ["Inter-Appliance Pre-Shared Key", "Pre-Shared Key",
                                                     "Pre-shared Key", "Inter-appliance Pre-shared Key"],
    "SMTP Relay Server": ["SMTP Relay", "SMTP Server", "Mail Server"],
    "Expires": ["Expiration", "Expires On", "Valid Until", "Not After"],
}
# Live link state on the IP Configuration page: what the hardware reports, not settings to re-enter.
LINK_STATE = {"link detected", "speed", "duplex"}
INPUTS = {"text", "password", "checkbox", "radio", "select", "textarea"}


def norm(s: str) -> str:
    return " ".join(s.lower().replace(":", " ").replace("\u00a0", " ").split())


@lru_cache(maxsize=1)
def _labels():  # type: ignore[no-untyped-def]
    from flows.base import Labels

    return Labels.load()


def variants(label: str) -> list[str]:
    out = _labels().variants(label) + EXTRA.get(label, [])
    return list(dict.fromkeys(norm(v) for v in out))


def find(page: PageRecord | None, label: str, sections: list[Section] | None = None) -> Field | None:
    """The field labelled `label` or one of its aliases (exact names first, in alias order)."""
    if page is None:
        return None
    pool = [f for s in (sections if sections is not None else page.sections) for f in s.fields]
    for v in variants(label):
        for f in pool:
            if norm(f.label) == v:
                return f
    return None


def table_with(page: PageRecord | None, *headers: str) -> Table | None:
    """The first table whose headers include every one of `headers` (by alias)."""
    for t in tables_with(page, *headers):
        return t
    return None


def tables_with(page: PageRecord | None, *headers: str) -> list[Table]:
    if page is None:
        return []
    out = []
    for s in page.sections:
        for t in s.tables:
            have = {norm(h) for h in t.headers}
            if all(have & set(variants(h)) for h in headers):
                out.append(t)
    return out


def column(t: Table, header: str) -> int | None:
    want = variants(header)
    for v in want:
        for i, h in enumerate(t.headers):
            if norm(h) == v:
                return i
    return None


@dataclass
class Block:
    """One group of values to re-enter: label/value rows, tables, and what could not be found."""

    title: str
    where: str = ""
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # label, shown text, css class
    tables: list[Table] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    note: str = ""
    href: str = ""

    def add(self, f: Field, label: str | None = None) -> None:
        text, css = shown(f)
        if f.secret and f.is_set:
            text += " — not stored here: re-enter it from your password records"
        self.rows.append((label or f.label, text, css))

    def want(self, page: PageRecord | None, label: str, sections: list[Section] | None = None) -> Field | None:
        f = find(page, label, sections)
        if f is None:
            self.missing.append(label)
        else:
            self.add(f)
        return f

    @property
    def empty(self) -> bool:
        return not (self.rows or self.tables or self.missing or self.note)


def settings(section: Section) -> list[Field]:
    """The inputs of a section (what an administrator typed or chose), not its status read-outs."""
    return [f for f in section.fields if f.kind in INPUTS]


def section_blocks(page: PageRecord | None, where: str, *, with_tables: bool = False,
                   skip: tuple[str, ...] = ()) -> list[Block]:
    """One block per section that holds settings (and, when asked, tables), in page order."""
    if page is None:
        return []
    out = []
    for s in page.sections:
        if any(re.search(p, s.title, re.I) for p in skip):
            continue
        b = Block(title=s.title.split("::")[-1].strip() or page.title, where=where, href=f"#{page.flow}")
        for f in settings(s):
            b.add(f)
        if with_tables:
            b.tables = [clean_table(t) for t in s.tables]
        if b.rows or b.tables:
            out.append(b)
    return out


def applies(snap: Snapshot, flow: str) -> bool:
    """Whether the checklist expects this page on this deployment (a page the procedure marks n/a is skipped)."""
    from flows.appliance import PAGES as APPLIANCE
    from flows.login import PAGES as LOGIN

    page = next((p for p in APPLIANCE + LOGIN if p.flow == flow), None)
    return page is None or snap.deployment in page.deployments
