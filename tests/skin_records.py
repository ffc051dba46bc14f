"""Normalized records of a snapshot (fields by section and label, tables by headers) and their comparison with
another capture of the same state: what a skin dropped, moved, changed or added. Labels and section titles are
compared with the capture's own tolerant matcher (flows/vocabulary.py), never by their wording."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fixtures.skins.catalog import VOLATILE
from flows.settings.read import Reader, display_section
from flows.vocabulary import Vocabulary

_TOKENS = re.compile(r"[,;\s]+")


def value_key(value: str | None, randoms: dict[str, str]) -> tuple[str, ...]:
    """A value as words: "a, b", "a b" and one item per line are the same list; case does not count (a stylesheet
    may upper-case); values the simulator draws at random on each start become placeholders."""
    v = value or ""
    for raw, placeholder in randoms.items():
        v = v.replace(raw, placeholder)
    return tuple(t for t in _TOKENS.split(v.casefold()) if t)


@dataclass
class Value:
    flow: str
    section: str
    label: str
    value: tuple[str, ...]
    kind: str = ""

    def __str__(self) -> str:
        return f"{self.flow} / {self.section} / {self.label} = {' '.join(self.value)!r}"


@dataclass
class Grid:
    flow: str
    section: str
    headers: list[str]
    rows: list[tuple[tuple[str, ...], ...]]

    def __str__(self) -> str:
        return f"{self.flow} / {self.section} / table {self.headers}"


@dataclass
class Records:
    values: list[Value] = field(default_factory=list)
    tables: list[Grid] = field(default_factory=list)


def records(snap: Any, randoms: dict[str, str], vocab: Vocabulary | None = None,
            flows: set[str] | None = None) -> Records:
    """Every non-volatile field and table of the snapshot's captured pages (secrets as set/unset only; the page's
    own title block and the columns of controls left out)."""
    vocab = vocab or Vocabulary.load()
    volatile = lambda label: any(vocab.matches(label, v) for v in VOLATILE)  # noqa: E731
    out = Records()
    for page in snap.pages:
        if page.status != "ok" or (flows is not None and page.flow not in flows):
            continue
        reader = Reader(page, vocab)
        for si, s in enumerate(page.sections):
            title = display_section(s.title)
            for f in s.fields:
                if volatile(f.label) or (reader._heading[si] and f.kind == "static"):
                    continue
                value = ("[secret set]" if f.is_set else "[secret unset]") if f.secret else f.value
                out.values.append(Value(page.flow, title, f.label, value_key(value, randoms), f.kind))
            for t in s.tables:
                keep = [i for i, h in enumerate(t.headers) if not vocab.is_control_column(h) and not volatile(h)]
                if not t.headers:
                    keep = list(range(max((len(r) for r in t.rows), default=0)))
                rows = [tuple(value_key(row[i], randoms) if i < len(row) else () for i in keep) for row in t.rows]
                out.tables.append(Grid(page.flow, title, [t.headers[i] for i in keep if i < len(t.headers)], rows))
    return out


def _same_section(vocab: Vocabulary, a: str, b: str) -> bool:
    """The innermost title counts ("Certificates :: Export" is the "Export" section)."""
    a, b = a.split(" :: ")[-1], b.split(" :: ")[-1]
    return vocab.matches(a, b) or vocab.matches(b, a) or (not a and not b)


def _same_label(vocab: Vocabulary, a: str, b: str) -> bool:
    return vocab.matches(a, b) or vocab.matches(b, a)


def compare(want: Records, got: Records, vocab: Vocabulary | None = None) -> list[str]:
    """What `got` does not show as `want` does: a value missing, moved to another section, changed, or one
    `got` holds that `want` has not (a control read as a value); tables by their headers, row by row."""
    vocab = vocab or Vocabulary.load()
    problems: list[str] = []
    left = list(got.values)
    for w in want.values:
        hits = [g for g in left if g.flow == w.flow and _same_label(vocab, g.label, w.label)]
        exact = [g for g in hits if g.value == w.value and _same_section(vocab, g.section, w.section)]
        if exact:
            left.remove(exact[0])
            continue
        moved = [g for g in hits if g.value == w.value]
        if moved:
            problems.append(f"moved: {w} is in section {moved[0].section!r}")
            left.remove(moved[0])
        elif hits:
            problems.append(f"changed: {w} reads {' '.join(hits[0].value)!r} ({hits[0].kind})")
            left.remove(hits[0])
        else:
            problems.append(f"missing: {w}")
    problems += [f"extra: {g}" for g in left]
    spare = list(got.tables)
    for w in want.tables:
        match = next((g for g in spare if g.flow == w.flow and len(g.headers) == len(w.headers)
                      and all(_same_label(vocab, a, b) for a, b in zip(g.headers, w.headers))), None)
        if match is None:
            problems.append(f"missing: {w}")
            continue
        spare.remove(match)
        if not _same_section(vocab, match.section, w.section):
            problems.append(f"moved: {w} is in section {match.section!r}")
        if match.rows != w.rows:
            gone = [r for r in w.rows if r not in match.rows]
            new = [r for r in match.rows if r not in w.rows]
            problems.append(f"rows differ: {w}: missing {gone[:3]}, extra {new[:3]}")
    problems += [f"extra: {g} {g.rows[:2]}" for g in spare if g.rows]
    return problems


def randoms_of(sim: Any) -> dict[str, str]:
    """Values the simulator draws at random on each start (serial, address, MACs, API client ids)."""
    appl = sim.rt.appliances[0]
    out = {appl.serial: "<serial>", appl.address: "<address>"}
    out |= {n["mac"]: f"<mac {n['name']}>" for n in appl.a["net"]["nics"]}
    out |= {x["client_id"]: f"<client id {i}>" for i, x in enumerate(appl.l["api"]["accounts"])}
    return out
