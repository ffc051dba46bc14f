"""The comparison itself: two settings models as leaves, path by path, each difference classed by its path."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flows.diffrules import DiffRules
from flows.settings.paths import Leaf, under


@dataclass
class Difference:
    flow: str
    section: str
    label: str
    a: str | None
    b: str | None
    cls: str  # must_match, review, expected, volatile
    change: str  # changed, added, removed, dropped, order
    why: str = ""
    page: str = ""
    path: str = ""  # where in the settings model
    box_a: tuple[int, int, int, int] | None = None  # where each side's screenshot shows it (x, y, width, height)
    box_b: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class"] = d.pop("cls")
        return d


def _items(paths: set[str]) -> set[str]:
    """Every list item ("…[key]") some leaf path lies in."""
    out = set()
    for p in paths:
        for i, ch in enumerate(p):
            if ch == "]":
                out.add(p[:i + 1])
    return out


class _Emitter:
    def __init__(self, rules: DiffRules, mode: str, titles: dict[str, str]) -> None:
        self.rules, self.mode, self.titles = rules, mode, titles
        self.out: list[Difference] = []

    def add(self, path: str, a: Leaf | None, b: Leaf | None, change: str, *, a_text: str | None = None,
            b_text: str | None = None, label: str | None = None) -> None:
        cls, why = self.rules.classify(path, mode=self.mode)
        a_set = a is not None and a.is_set_value
        b_set = b is not None and b.is_set_value
        if cls != "volatile":
            if self.mode == "upgrade" and a_set and not b_set and change in ("changed", "removed"):
                why = "set before the upgrade, " + ("gone after it" if change == "removed" else "empty or reset after it")
                cls, change = "must_match", "dropped"
            elif self.mode == "upgrade" and change == "added":
                cls, why = "expected", "new after the upgrade"
            elif change in ("added", "removed") and not (a_set or b_set):
                cls, why = "expected", "an empty value shown on one side only"
        src = (a or b).src if (a or b) else None  # type: ignore[union-attr]
        flow = src.flow if src else ""
        label = label or (src.label if src and src.label else path.split(".", 1)[-1])
        self.out.append(Difference(flow, src.section if src else "", label,
                                   a_text if a_text is not None else (a.shown if a else None),
                                   b_text if b_text is not None else (b.shown if b else None),
                                   cls, change, why, self.titles.get(flow, flow), path,
                                   a.src.box if a and a.src else None, b.src.box if b and b.src else None))


def _order(a: Leaf, b: Leaf) -> tuple[list[str], list[str]] | None:
    """The order of the items enabled on both sides, when it differs."""
    common = set(a.value) & set(b.value)
    sa, sb = [k for k in a.value if k in common], [k for k in b.value if k in common]
    return (a.value, b.value) if sa != sb else None


def _distinctive(leaf: Leaf | None) -> str | None:
    # Only distinctive values say "this is the same value under a new label"; on/off or 15 do not.
    v = leaf.cmp if leaf is not None and not leaf.secret else ""
    return None if len(v) < 4 or v in ("on", "off") or v.isdigit() else v


def _relabelled(va: dict[str, Leaf], vb: dict[str, Leaf], only_a: set[str], only_b: set[str]) -> set[str]:
    """Unnamed values that another version labels differently but shows the same, distinctive value for (one
    on each side, on the same page): the same value, not a removal and an addition. Returns them as done."""
    def index(side: dict[str, Leaf], items: set[str]) -> dict[tuple[str, str], list[str]]:
        out: dict[tuple[str, str], list[str]] = {}
        for item in items:
            leaf = side.get(item)
            if item.startswith("other[") and (v := _distinctive(leaf)) is not None and leaf and leaf.src:
                out.setdefault((leaf.src.flow, v), []).append(item)
        return out
    ia, ib = index(va, only_a), index(vb, only_b)
    return {x for k, xs in ia.items() if len(xs) == 1 and len(ib.get(k, [])) == 1 for x in (xs[0], ib[k][0])}


def _summary(leaves_: dict[str, Leaf], item: str) -> str:
    if item in leaves_:  # an item that is one value
        return leaves_[item].shown or ""
    parts = [f"{p[len(item) + 1:]}: {lf.shown}" for p, lf in leaves_.items()
             if p.startswith(item + ".") and lf.shown not in (None, "")]
    return "; ".join(parts)


def differences(va: dict[str, Leaf], vb: dict[str, Leaf], skipped: set[str], not_ok: set[str], rules: DiffRules,
                mode: str, titles: dict[str, str]) -> list[Difference]:
    """Every difference of two models' leaves: parts not captured on a side (`skipped`) and values of pages not
    captured on a side (`not_ok`) are left out; a list item on one side only is one difference."""
    em = _Emitter(rules, mode, titles)
    only_a_items = _items(set(va)) - _items(set(vb))
    only_b_items = _items(set(vb)) - _items(set(va))
    done = _relabelled(va, vb, only_a_items, only_b_items)
    outer_a, outer_b = sorted(only_a_items, key=len), sorted(only_b_items, key=len)  # the outermost item first
    for path in dict.fromkeys(list(va) + list(vb)):
        x, y = va.get(path), vb.get(path)
        src = (x or y).src  # type: ignore[union-attr]
        if under(path, skipped) or (src is not None and src.flow in not_ok):
            continue
        item_a = next((i for i in outer_a if path.startswith(i)), None)
        item_b = next((i for i in outer_b if path.startswith(i)), None)
        if item_a or item_b:
            item = item_a or item_b
            if item not in done:
                done.add(item)
                side = va if item_a else vb
                text = _summary(side, item)  # type: ignore[arg-type]
                one = side.get(item)  # type: ignore[arg-type]
                em.add(item, x, y, "removed" if item_a else "added", a_text=text if item_a else None,
                       b_text=None if item_a else text,
                       label=one.src.label if one is not None and one.src else item[item.rindex("[") + 1:-1])
            continue
        if x is not None and y is not None:
            if x.order:
                if (seqs := _order(x, y)) is not None:
                    em.add(path, x, y, "order", a_text=", ".join(seqs[0]), b_text=", ".join(seqs[1]))
            elif x.cmp != y.cmp:
                em.add(path, x, y, "changed")
        elif x is not None or y is not None:
            em.add(path, x, y, "removed" if y is None else "added")
    return em.out
