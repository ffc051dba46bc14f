"""Tables compared by meaning: matched by their headers, rows keyed by a key column, row order compared once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from reports.diff_flatten import TableView, norm, value_key, without_own_names


SECTION = "\x00section"  # where a pooled row was shown


class Emitter(Protocol):
    def add(self, flow: str, section: str, label: str, a: str | None, b: str | None, change: str, *,
            labels: tuple[str, ...], own_equal: bool = False, a_set: bool = True, b_set: bool = True) -> None: ...


@dataclass
class Logical:
    """All tables of a page with the same meaningful headers, as one (25.1 splits per NIC what 23.3 joins)."""

    section: str
    headers: list[str]  # as shown
    hkeys: list[str]  # normalised
    rows: list[dict[str, str]] = field(default_factory=list)


def pool(tables: list[TableView], ignore: set[str]) -> list[Logical]:
    by_sig: dict[tuple[str, ...], Logical] = {}
    for t in tables:
        headers = t.headers or [f"Column {i + 1}" for i in range(max((len(r) for r in t.rows), default=0))]
        cols = [(i, h) for i, h in enumerate(headers) if norm(h) not in ignore]
        sig = tuple(norm(h) for _, h in cols)
        if not sig:
            continue
        lt = by_sig.setdefault(sig, Logical(t.title or t.section, [h for _, h in cols], list(sig)))
        for r in t.rows:
            lt.rows.append({norm(h): (r[i] if i < len(r) else "") for i, h in cols} | {SECTION: t.section})
    return list(by_sig.values())


def match(a: list[Logical], b: list[Logical]) -> tuple[list[tuple[Logical, Logical]], list[Logical], list[Logical]]:
    """Pairs by identical headers, then by mostly shared headers (a column added by an upgrade)."""
    pairs, rest_b = [], list(b)
    rest_a = []
    for la in a:
        lb = next((x for x in rest_b if x.hkeys == la.hkeys), None)
        if lb is None:
            rest_a.append(la)
        else:
            pairs.append((la, lb))
            rest_b.remove(lb)
    still = []
    for la in rest_a:
        scores = [(_overlap(la, x), x) for x in rest_b]
        best = max(scores, key=lambda s: s[0], default=(0.0, None))[1]
        if best is not None and _overlap(la, best) >= 0.5:
            pairs.append((la, best))
            rest_b.remove(best)
        else:
            still.append(la)
    return pairs, still, rest_b


def _overlap(a: Logical, b: Logical) -> float:
    sa, sb = set(a.hkeys), set(b.hkeys)
    return len(sa & sb) / len(sa | sb)


class TableDiff:
    """Compares the tables of one flow and reports through an emitter (which classifies)."""

    def __init__(self, flow: str, rules: Any, out: Emitter, names: tuple[list[str], list[str]] | None) -> None:
        self.flow, self.rules, self.out, self.names = flow, rules, out, names

    def _key(self, cell: str) -> str:
        for p in self.rules.key_strip:
            cell = p.sub("", cell)
        return " ".join(cell.split())

    def _keyed(self, lt: Logical, col: str | None, side: int) -> dict[str, tuple[str, dict[str, str]]]:
        out: dict[str, tuple[str, dict[str, str]]] = {}
        for i, row in enumerate(lt.rows):
            shown = self._key(row.get(col, "")) if col else f"row {i + 1}"
            k = value_key(shown)
            if self.names:
                k = without_own_names(k, self.names[side])
            base, n = k, 2
            while k in out:  # a repeated key: the second one is "key #2", stable by position
                k, shown, n = f"{base} #{n}", f"{self._key(row.get(col, ''))} #{n}", n + 1
            out[k] = (shown, row)
        return out

    def _key_column(self, la: Logical, lb: Logical) -> str | None:
        common = [h for h in la.hkeys if h in lb.hkeys and h not in self.rules.order_columns]
        for h in common:
            for lt in (la, lb):
                cells = [value_key(self._key(r.get(h, ""))) for r in lt.rows]
                if not all(cells) or len(set(cells)) != len(cells):
                    break
            else:
                return h
        return common[0] if common else None

    def compare(self, tables_a: list[TableView], tables_b: list[TableView]) -> None:
        ignore = self.rules.ignore_columns
        pairs, only_a, only_b = match(pool(tables_a, ignore), pool(tables_b, ignore))
        for la, lb in pairs:
            self._pair(la, lb)
        for lt in only_a:
            self._rows_only(lt, "removed")
        for lt in only_b:
            self._rows_only(lt, "added")

    def _summary(self, row: dict[str, str], lt: Logical) -> str:
        return "; ".join(f"{h}: {row.get(k, '')}" for h, k in zip(lt.headers, lt.hkeys, strict=True) if row.get(k, ""))

    def _rows_only(self, lt: Logical, change: str) -> None:
        col = next((h for h in lt.hkeys if h not in self.rules.order_columns), None)
        head = lt.headers[lt.hkeys.index(col)] if col else "Row"
        for shown, row in self._keyed(lt, col, 0 if change == "removed" else 1).values():
            text = self._summary(row, lt)
            a, b = (text, None) if change == "removed" else (None, text)
            self.out.add(self.flow, row[SECTION], shown, a, b, change, labels=(shown, head),
                         a_set=a is not None, b_set=b is not None)

    def _pair(self, la: Logical, lb: Logical) -> None:
        col = self._key_column(la, lb)
        head = {k: h for h, k in zip(lb.headers, lb.hkeys, strict=True)} | {k: h for h, k in zip(la.headers, la.hkeys, strict=True)}
        ra, rb = self._keyed(la, col, 0), self._keyed(lb, col, 1)
        for k, (shown, row) in ra.items():
            section = row[SECTION]
            if k not in rb:
                self.out.add(self.flow, section, shown, self._summary(row, la), None, "removed",
                             labels=(shown, head.get(col or "", "Row")), b_set=False)
                continue
            other = rb[k][1]
            for c in la.hkeys:
                if c == col or c in self.rules.order_columns or c not in lb.hkeys:
                    continue
                va, vb = row.get(c, ""), other.get(c, "")
                ka, kb = value_key(va), value_key(vb)
                if ka == kb:
                    continue
                own = bool(self.names) and without_own_names(ka, self.names[0]) == without_own_names(kb, self.names[1])
                self.out.add(self.flow, section, f"{shown} / {head[c]}", va, vb, "changed",
                             labels=(f"{shown} / {head[c]}", head[c]), own_equal=own,
                             a_set=not self.rules.is_empty(va), b_set=not self.rules.is_empty(vb))
        for k, (shown, row) in rb.items():
            if k not in ra:
                self.out.add(self.flow, row[SECTION], shown, None, self._summary(row, lb), "added",
                             labels=(shown, head.get(col or "", "Row")), a_set=False)
        self._order(la, lb, ra, rb, la.rows[0][SECTION] if la.rows else la.section)

    def _order(self, la: Logical, lb: Logical, ra: dict[str, Any], rb: dict[str, Any], section: str) -> None:
        col = next((c for c in la.hkeys if c in self.rules.order_columns and c in lb.hkeys), None)
        if col is None:
            return

        def seq(rows: dict[str, tuple[str, dict[str, str]]], keep: dict[str, Any]) -> list[str]:
            def pos(item: tuple[str, tuple[str, dict[str, str]]]) -> tuple[int, str]:
                cell = item[1][1].get(col, "")
                return (int(cell) if cell.strip().isdigit() else 1 << 30, item[0])
            return [k for k, _ in sorted(rows.items(), key=pos) if k in keep]

        sa, sb = seq(ra, rb), seq(rb, ra)
        if sa != sb:
            name = la.headers[la.hkeys.index(col)]
            self.out.add(self.flow, section, f"{name} of rows", ", ".join(ra[k][0] for k in sa),
                         ", ".join(rb[k][0] for k in sb), "order", labels=(name, f"{name} of rows"))
