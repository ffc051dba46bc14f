"""Pairing the fields of two versions of a page: exact keys, then vocabulary aliases, then relabelled values."""
from __future__ import annotations

import re
from functools import lru_cache

from flows.base import Labels
from reports.diff_flatten import Item, norm


def _canon(text: str) -> str:
    return re.sub(r"\bssl\s*/\s*", "", norm(text))


@lru_cache(maxsize=1)
def _groups() -> dict[str, frozenset[str]]:
    """Each known text → every text of its alias groups (labels.toml [aliases]: 'SSL/TLS Configuration' ~ 'TLS …')."""
    labels = Labels.load()
    out: dict[str, set[str]] = {}
    for canonical in labels.data.get("aliases", {}):
        group = {_canon(t) for t in labels.variants(canonical)}
        for t in group:
            out.setdefault(t, set()).update(group)
    return {k: frozenset(v) for k, v in out.items()}


def equivalent(x: str, y: str) -> bool:
    """The same section or label under another product version's wording."""
    cx, cy = _canon(x), _canon(y)
    if cx == cy:
        return True
    gx = _groups().get(cx)
    return bool(gx) and cy in gx


def _relabel_value(it: Item) -> str | None:
    # Only distinctive values say "this is the same field under a new label"; on/off or 15 do not.
    v = it.cmp
    if it.secret or len(v) < 4 or v in ("on", "off") or v.isdigit():
        return None
    return v


def match_items(a: list[Item], b: list[Item]) -> tuple[list[tuple[Item, Item]], list[Item], list[Item]]:
    """(pairs, only in a, only in b), each in page order."""
    by_key = {it.key: it for it in b}
    pairs: list[tuple[Item, Item]] = []
    rest_a: list[Item] = []
    used: set[int] = set()
    for it in a:
        other = by_key.get(it.key)
        if other is not None and id(other) not in used:
            pairs.append((it, other))
            used.add(id(other))
        else:
            rest_a.append(it)
    rest_b = [it for it in b if id(it) not in used]
    if rest_a and rest_b:
        still = []
        for it in rest_a:
            other = next((o for o in rest_b if o.occ == it.occ and equivalent(it.skey, o.skey)
                          and equivalent(it.lkey, o.lkey)), None)
            if other is None:
                still.append(it)
            else:
                pairs.append((it, other))
                rest_b.remove(other)
        rest_a = still
    if rest_a and rest_b:
        values_b: dict[str, list[Item]] = {}
        for o in rest_b:
            if (v := _relabel_value(o)) is not None:
                values_b.setdefault(v, []).append(o)
        values_a: dict[str, int] = {}
        for it in rest_a:
            if (v := _relabel_value(it)) is not None:
                values_a[v] = values_a.get(v, 0) + 1
        still = []
        for it in rest_a:
            v = _relabel_value(it)
            cands = values_b.get(v, []) if v is not None else []
            if len(cands) == 1 and values_a.get(v) == 1:  # type: ignore[arg-type]
                pairs.append((it, cands[0]))
                rest_b.remove(cands[0])
            else:
                still.append(it)
        rest_a = still
    return pairs, rest_a, rest_b
