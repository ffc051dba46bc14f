"""What a page must show to count as captured: its value labels and a minimum number of values (Page.values)."""
from __future__ import annotations

from typing import Any, Iterable

from flows.base import Page
from flows.vocabulary import Vocabulary, key


def _labels(sections: Iterable[Any]) -> list[str]:
    """Every label a reader saw: field labels, table headers and the first cell of two-column rows."""
    out: list[str] = []
    for s in sections:
        out += [f.label for f in s.fields]
        for t in s.tables:
            out += list(t.headers)
            out += [r[0] for r in t.rows if len(r) == 2 and r[0]]
    return out


def count(sections: Iterable[Any]) -> int:
    """How many values the page shows: fields with a value (or a secret that is set) and table rows."""
    n = 0
    for s in sections:
        n += sum(1 for f in s.fields if (f.value or "").strip() or f.secret)
        n += sum(len(t.rows) or (1 if t.headers else 0) for t in s.tables)
    return n


def loading(sections: Iterable[Any], phrases: Iterable[str]) -> str | None:
    """A "Loading…" line the page still shows (content still to come), or None."""
    want = {" ".join(p.lower().split()) for p in phrases}
    for s in sections:
        for line in list(s.text) + [f.value or "" for f in s.fields if f.kind == "static"]:
            if " ".join(line.lower().split()) in want:
                return line
    return None


def unmet(page: Page, sections: list[Any], vocab: Vocabulary) -> list[str]:
    """What the page should show and does not (empty: it shows its values). A declared label is found in any
    wording the matcher accepts, or inside a longer label ("Pre-shared Key" in "Inter-appliance Pre-shared Key")."""
    seen = _labels(sections)
    keys = [set(key(s)) for s in seen]
    out = []
    for want in page.values:
        k = set(key(want))
        if not any(vocab.matches(s, want) for s in seen) and not any(k and k <= have for have in keys):
            out.append(repr(want))
    n = count(sections)
    if n < page.min_values:
        out.append(f"{page.min_values} values (saw {n})")
    return out
