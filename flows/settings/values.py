"""The value types of the settings model: a value with its source, a secret's state, an unnamed setting."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from capture.records import Box


class M(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # For lists of these in the diff: the attribute(s) naming one item, and whether the list's order matters.
    KEY: ClassVar[tuple[str, ...]] = ()


class Source(M):
    """Where a value was read: the page (flow), its section and label, the table row, the screenshot box."""

    flow: str
    section: str = ""
    label: str = ""
    row: int | None = None  # table row (0-based) when the value is a table cell
    box: Box | None = None  # x, y, width, height in the page's full-page screenshot (CSS pixels)


class Text(M):
    value: str | None = None
    src: Source | None = None


class Flag(M):
    value: bool | None = None  # None: not shown, or not a yes/no the page made clear
    src: Source | None = None


class Items(M):
    value: list[str] = []
    src: Source | None = None


class Hardware(Text):
    """A value of the hardware itself (a MAC address): replacement hardware has its own, nobody re-enters it."""

    hardware: Literal[True] = True


class Secret(M):
    """A secret the appliance holds: only whether it is set, never its value (re-enter it from password records)."""

    is_set: bool | None = None
    src: Source | None = None


class Setting(M):
    """A value the model does not name: kept with its label as the page shows it."""

    KEY: ClassVar[tuple[str, ...]] = ("src.flow", "key")
    section: str = ""
    label: str
    key: str = ""  # the label in the matcher's one wording (the same setting under another version's label)
    value: str | None = None
    kind: str = "text"
    secret: bool = False
    is_set: bool | None = None
    src: Source | None = None
