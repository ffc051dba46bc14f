"""Runbook building blocks: rows of model values as the page labelled them, with a link to their evidence."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flows
from capture.records import PageRecord, Snapshot, Table
from flows.procedure import RESTORE
from flows.settings.model import Flag, Items, Secret, Setting, Text

INPUTS = {"text", "password", "checkbox", "radio", "select", "textarea"}
NOT_STORED = " — not stored here: re-enter it from your password records"


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

    def value(self, v: Text | Flag | Items | Secret | None, name: str) -> None:
        """A model value under the label the page gave it; `name` says what it is when no page showed it."""
        if v is None or v.src is None:
            self.missing.append(name)
            return
        label = v.src.label or name
        if isinstance(v, Secret):
            self.rows.append((label, ("set (redacted)" + NOT_STORED) if v.is_set else "not set",
                              "secret set" if v.is_set else "secret unset"))
        elif isinstance(v, Flag):
            text = {True: "on", False: "off"}.get(v.value, "unclear")  # type: ignore[arg-type]
            self.rows.append((label, text, f"check {text}" if v.value is not None else "value"))
        elif isinstance(v, Items):
            self.rows.append((label, ", ".join(v.value) or "(empty)", "value" if v.value else "empty"))
        else:
            self.rows.append((label, v.value if v.value else "(empty)", "value" if v.value else "empty"))

    def setting(self, s: Setting) -> None:
        if s.secret:
            self.rows.append((s.label, ("set (redacted)" + NOT_STORED) if s.is_set else "not set",
                              "secret set" if s.is_set else "secret unset"))
        elif s.kind == "checkbox" and s.value in ("on", "off"):
            self.rows.append((s.label, s.value, f"check {s.value}"))
        else:
            self.rows.append((s.label, s.value if s.value else "(empty)", "value" if s.value else "empty"))

    def finish(self, page: PageRecord | None) -> "Block":
        if self.missing and page is not None:
            self.note = (f"Not found on the captured page: {', '.join(self.missing)}. Check the screenshot and "
                         f"extracted values of “{page.title}”.")
        return self

    @property
    def empty(self) -> bool:
        return not (self.rows or self.tables or self.missing or self.note)


def title(flow: str) -> str:
    page = flows.page(flow)
    return page.title if page is not None else flow


def where(snap: Snapshot, flow_or_menu: str | tuple[str, ...], interface: str = "appliance") -> str:
    """Where a person does it: the interface, then the page's menu path (cloud: through a /login tab)."""
    menu = " > ".join(flow_or_menu) if isinstance(flow_or_menu, tuple) else title(flow_or_menu)
    if interface == "login":
        return f"/login > {menu}"
    if snap.deployment == "cloud":
        return f"/login > {' > '.join(RESTORE['cloud_appliance'])} > {menu}"
    return f"/appliance > {menu}"


def applies(snap: Snapshot, flow: str) -> bool:
    """Whether the checklist expects this page on this deployment."""
    page = flows.page(flow)
    return page is None or snap.deployment in page.deployments


def others(model: Any, flow: str, *, inputs_only: bool = True) -> list[Setting]:
    """The values of a page the model does not name (its other settings), in page order."""
    return [s for s in model.other if s.src and s.src.flow == flow and (not inputs_only or s.kind in INPUTS)]
