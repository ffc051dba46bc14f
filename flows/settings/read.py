"""Reading one captured page by meaning: fields and tables found by the tolerant matcher, each use remembered."""
from __future__ import annotations

import re
from typing import Callable, Iterator

from capture.records import PageRecord, Section, Table
from flows.settings.model import Flag, Items, Secret, Setting, Source, Text
from flows.vocabulary import Vocabulary

_PREFIX = re.compile(r"^[^:]{1,60}?\s::\s")  # the vendor's "Area :: " heading prefix
_SPLIT = re.compile(r"[\s,;]+")
DASHES = {"", "—", "–", "-", "--", "n/a", "none"}
TRUE = {"on", "yes", "true", "enabled", "checked", "✓", "✔", "y"}
FALSE = {"off", "no", "false", "disabled", "unchecked", "n"}
Where = Callable[[str], bool] | None


def display_section(title: str) -> str:
    """'Security :: TLS Configuration' → 'TLS Configuration' (what a person would call the section)."""
    return _PREFIX.sub("", " ".join(title.split()), count=1) or title


def flag(value: str | None) -> bool | None:
    v = (value or "").strip().casefold()
    return True if v in TRUE else False if v in FALSE else None


def listed(value: str | None) -> list[str]:
    """A list as pages show one: separated by commas, semicolons, spaces or lines; dashes mean none."""
    return [v for v in _SPLIT.split(value or "") if v and v.casefold() not in DASHES]


def blank(value: str | None) -> str | None:
    v = " ".join((value or "").split())
    return None if v.casefold() in DASHES else v


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _heading(s: Section, heads: set[str], i: int, vocab: Vocabulary) -> bool:
    """The page's own title block ("Security > Certificates: Manage SSL Certificates …"), not settings: a breadcrumb,
    a menu item's name, or a first section that only repeats its title as a label."""
    if " > " in s.title or (i == 0 and _norm(s.title) in heads):
        return True  # (a later section may well be named after the page: a card "Basics" on the Basics page)
    return i == 0 and bool(s.fields) and all(f.kind == "static" for f in s.fields) and \
        any(vocab.matches(f.label, display_section(s.title)) for f in s.fields)


class Reader:
    """The fields and tables of one page record; what a part reads is marked used, the rest is `remainder()`."""

    def __init__(self, rec: PageRecord | None, vocab: Vocabulary) -> None:
        self.rec = rec if rec is not None and rec.status == "ok" else None
        self.vocab = vocab
        self.used: set[tuple[int, int]] = set()
        self.used_rows: set[tuple[int, int, int]] = set()
        heads = {_norm(m) for m in (rec.menu_path if rec else [])} | {_norm(rec.title if rec else "")}
        self._heading = [_heading(s, heads, i, vocab) for i, s in enumerate(self.rec.sections if self.rec else [])]

    @property
    def ok(self) -> bool:
        return self.rec is not None

    @property
    def flow(self) -> str:
        return self.rec.flow if self.rec else ""

    def sections(self, where: Where = None) -> Iterator[tuple[int, Section]]:
        for si, s in enumerate(self.rec.sections if self.rec else []):
            if where is None or where(display_section(s.title)):
                yield si, s

    def src(self, si: int, fi: int | None = None, *, ti: int | None = None, ri: int | None = None,
            label: str = "") -> Source:
        s = self.rec.sections[si]  # type: ignore[union-attr]
        box = None
        if fi is not None:
            f = s.fields[fi]
            label, box = label or f.label, f.box
        elif ti is not None and ri is not None:
            t = s.tables[ti]
            box = t.boxes[ri] if ri < len(t.boxes) else None
        return Source(flow=self.flow, section=display_section(s.title), label=label, row=ri, box=box)

    def find(self, *names: str, where: Where = None, use: bool = True) -> tuple[int, int] | None:
        """The first field named by one of `names` (tried in order), not yet used."""
        for name in names:
            for si, s in self.sections(where):
                for fi, f in enumerate(s.fields):
                    if (si, fi) not in self.used and self.vocab.matches(f.label, name):
                        if use:
                            self.used.add((si, fi))
                        return si, fi
        return None

    def find_all(self, *names: str, where: Where = None) -> list[tuple[int, int]]:
        out = []
        for si, s in self.sections(where):
            for fi, f in enumerate(s.fields):
                if (si, fi) not in self.used and self.vocab.matches(f.label, *names):
                    self.used.add((si, fi))
                    out.append((si, fi))
        return out

    def field(self, at: tuple[int, int]):  # type: ignore[no-untyped-def]
        return self.rec.sections[at[0]].fields[at[1]]  # type: ignore[union-attr]

    def text(self, *names: str, where: Where = None) -> Text:
        at = self.find(*names, where=where)
        if at is None:
            return Text()
        f = self.field(at)
        return Text(value=None if f.secret else blank(f.value), src=self.src(*at))

    def flag(self, *names: str, where: Where = None) -> Flag:
        at = self.find(*names, where=where)
        return Flag() if at is None else Flag(value=flag(self.field(at).value), src=self.src(*at))

    def items(self, *names: str, where: Where = None) -> Items:
        at = self.find(*names, where=where)
        return Items() if at is None else Items(value=listed(self.field(at).value), src=self.src(*at))

    def secret(self, *names: str, where: Where = None) -> Secret:
        at = self.find(*names, where=where)
        return Secret() if at is None else self._secret(at)

    def _secret(self, at: tuple[int, int]) -> Secret:
        f = self.field(at)
        is_set = f.is_set if f.secret else bool(blank(f.value))
        return Secret(is_set=is_set, src=self.src(*at))

    def secrets(self, *names: str, where: Where = None) -> list[Secret]:
        return [self._secret(at) for at in self.find_all(*names, where=where)]

    def secrets_having(self, *words: str, where: Where = None) -> list[Secret]:
        """Every field whose label contains all `words` (a community of any kind, any pre-shared key)."""
        out = []
        for si, s in self.sections(where):
            for fi, f in enumerate(s.fields):
                if (si, fi) not in self.used and self.vocab.has(f.label, *words):
                    self.used.add((si, fi))
                    out.append(self._secret((si, fi)))
        return out

    def secret_fields(self, where: Where = None) -> list[Secret]:
        """Every secret field not yet read, in the sections `where` accepts."""
        out = []
        for si, s in self.sections(where):
            for fi, f in enumerate(s.fields):
                if (si, fi) not in self.used and f.secret:
                    self.used.add((si, fi))
                    out.append(self._secret((si, fi)))
        return out

    def settings(self, where: Where = None, *, inputs_only: bool = True) -> list[Setting]:
        """The unused fields of the sections `where` accepts, as generic settings (and marked used)."""
        out = []
        for si, s in self.sections(where):
            for fi, f in enumerate(s.fields):
                if (si, fi) in self.used or (self._heading[si] and f.kind == "static"):
                    continue
                if inputs_only and f.kind not in INPUTS:
                    continue
                self.used.add((si, fi))
                out.append(self._setting(si, fi))
        return out

    def _setting(self, si: int, fi: int) -> Setting:
        f = self.rec.sections[si].fields[fi]  # type: ignore[union-attr]
        return Setting(section=display_section(self.rec.sections[si].title), label=f.label,  # type: ignore[union-attr]
                       key=self.vocab.canonical(f.label),
                       value=None if f.secret else f.value, kind=f.kind, secret=f.secret,
                       is_set=f.is_set if f.secret else None, src=self.src(si, fi))

    def tables(self, *required: str, optional: tuple[str, ...] = (),
               where: Where = None) -> Iterator[tuple[int, int, Table, dict[str, int | None]]]:
        """Tables whose headers name every one of `required`, with the column of each name (optional ones: or None)."""
        for si, s in self.sections(where):
            for ti, t in enumerate(s.tables):
                cols = {c: self.vocab.column(t.headers, c) for c in required + optional}
                if all(cols[c] is not None for c in required):
                    yield si, ti, t, cols

    def use_row(self, si: int, ti: int, ri: int) -> None:
        self.used_rows.add((si, ti, ri))

    def remainder(self) -> list[Setting]:
        """Every value no part used: fields, and table cells as "row key / column"."""
        out = self.settings(inputs_only=False)
        for si, s in self.sections():
            for ti, t in enumerate(s.tables):
                keep = [i for i, h in enumerate(t.headers) if not self.vocab.is_control_column(h)] or \
                    list(range(max((len(r) for r in t.rows), default=0)))
                for ri, row in enumerate(t.rows):
                    if (si, ti, ri) in self.used_rows:
                        continue
                    head = next((row[i] for i in keep if i < len(row) and row[i].strip()), f"row {ri + 1}")
                    if len(keep) == 1 and t.headers:  # a one-column list: each row is the value
                        out.append(Setting(section=display_section(s.title), label=t.headers[keep[0]], value=head,
                                           key=f"{head} / {self.vocab.canonical(t.headers[keep[0]])}",
                                           kind="cell", src=self.src(si, ti=ti, ri=ri, label=t.headers[keep[0]])))
                        continue
                    for i in keep:
                        if i >= len(row) or not row[i].strip() or row[i] == head:
                            continue
                        column = t.headers[i] if i < len(t.headers) else f"column {i + 1}"
                        out.append(Setting(section=display_section(s.title), label=f"{head} / {column}",
                                           key=f"{head} / {self.vocab.canonical(column)}",
                                           value=row[i], kind="cell", src=self.src(si, ti=ti, ri=ri,
                                                                                  label=f"{head} / {column}")))
        return out


INPUTS = {"text", "password", "checkbox", "radio", "select", "textarea"}
