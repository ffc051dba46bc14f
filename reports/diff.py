"""Compare two snapshots by their settings models: failover peers, or one appliance before and after an upgrade."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import flows.settings as model
from capture.errors import ConfigError
from capture.records import Snapshot
from flows.diffrules import DiffRules
from flows.settings.paths import Leaf, leaves, under
from reports import diff_failover

MODES = ("auto", "peers", "upgrade")


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


@dataclass
class DiffResult:
    a: str  # labels as shown ("bt1")
    b: str
    a_name: str  # snapshot folder names
    b_name: str
    mode: str
    mode_reason: str
    differences: list[Difference] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failover: dict[str, Any] = field(default_factory=dict)

    def of(self, cls: str) -> list[Difference]:
        return [d for d in self.differences if d.cls == cls]

    @property
    def must_match(self) -> list[Difference]:
        return self.of("must_match")

    @property
    def verdict(self) -> str:
        n = len(self.must_match)
        if n == 0:
            return "the peers are consistent" if self.mode == "peers" else "the upgrade kept every must-match setting"
        dropped = sum(1 for d in self.must_match if d.change == "dropped")
        extra = f" ({dropped} dropped by the upgrade)" if dropped else ""
        return f"{n} must-match field{'s' if n != 1 else ''} differ{'s' if n == 1 else ''}{extra}"

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "a_snapshot": self.a_name, "b_snapshot": self.b_name, "mode": self.mode,
                "mode_reason": self.mode_reason, "verdict": self.verdict, "must_match": len(self.must_match),
                "review": len(self.of("review")), "expected": len(self.of("expected")),
                "volatile": len(self.of("volatile")), "differences": [d.to_dict() for d in self.differences],
                "pages": self.pages, "warnings": self.warnings, "failover": self.failover}


@dataclass
class Side:
    """One snapshot of a comparison, with its folder (for screenshots) when it came from one."""

    snapshot: Snapshot
    folder: Path | None = None

    @property
    def name(self) -> str:
        return self.snapshot.name


def detect_mode(a: Snapshot, b: Snapshot) -> tuple[str, str]:
    """The same appliance (hostname or serial number) at two times is an upgrade comparison."""
    serial_a, serial_b = a.identity.serial_number, b.identity.serial_number
    host_a = (a.appliance_hostname or a.identity.hostname or "").casefold()
    host_b = (b.appliance_hostname or b.identity.hostname or "").casefold()
    if serial_a and serial_a == serial_b:
        return "upgrade", f"both snapshots are of serial number {serial_a}"
    if host_a and host_a == host_b:
        return "upgrade", f"both snapshots are of {host_a}"
    return "peers", "two different appliances"


def labels_for(a: Snapshot, b: Snapshot) -> tuple[str, str]:
    la, lb = a.label or a.appliance_hostname or a.name, b.label or b.appliance_hostname or b.name
    if la == lb:  # the same appliance twice: tell them apart by time
        la = f"{la} @ {a.started_at:%Y-%m-%d %H:%M}" if a.started_at else f"{la} (A)"
        lb = f"{lb} @ {b.started_at:%Y-%m-%d %H:%M}" if b.started_at else f"{lb} (B)"
    return la, lb


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


def compare(a: Snapshot | Side, b: Snapshot | Side, *, mode: str = "auto", rules: DiffRules | None = None) -> DiffResult:
    """Pure and fast: every value of both settings models, path by path, then failover health."""
    sa = a if isinstance(a, Side) else Side(a)
    sb = b if isinstance(b, Side) else Side(b)
    rules = rules or DiffRules.load()
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    reason = "as asked"
    if mode == "auto":
        mode, reason = detect_mode(sa.snapshot, sb.snapshot)
    la, lb = labels_for(sa.snapshot, sb.snapshot)
    ma, mb = model.of(sa.snapshot), model.of(sb.snapshot)
    (va, abs_a), (vb, abs_b) = leaves(ma), leaves(mb)
    flows = list(dict.fromkeys([p.flow for p in sa.snapshot.pages] + [p.flow for p in sb.snapshot.pages]))
    titles = {f: (sa.snapshot.page(f) or sb.snapshot.page(f)).title for f in flows}  # type: ignore[union-attr]
    res = DiffResult(la, lb, sa.name, sb.name, mode, reason)
    not_ok: set[str] = set()
    for flow in flows:
        pa, pb = sa.snapshot.page(flow), sb.snapshot.page(flow)
        row: dict[str, Any] = {"flow": flow, "title": titles[flow], "a": pa.status if pa else "absent",
                               "b": pb.status if pb else "absent"}
        res.pages.append(row)
        if not (pa and pb and pa.status == "ok" and pb.status == "ok"):
            not_ok.add(flow)
            missing = [lbl for lbl, p in ((la, pa), (lb, pb)) if not (p and p.status == "ok")]
            res.warnings.append(f"{titles[flow]}: not captured on {' and '.join(missing)}; not compared")
    em = _Emitter(rules, mode, titles)
    skipped = abs_a | abs_b
    only_a_items = _items(set(va)) - _items(set(vb))
    only_b_items = _items(set(vb)) - _items(set(va))
    done = _relabelled(va, vb, only_a_items, only_b_items)
    for path in dict.fromkeys(list(va) + list(vb)):
        x, y = va.get(path), vb.get(path)
        src = (x or y).src  # type: ignore[union-attr]
        if under(path, skipped) or (src is not None and src.flow in not_ok):
            continue
        item_a = next((i for i in sorted(only_a_items, key=len) if path.startswith(i)), None)
        item_b = next((i for i in sorted(only_b_items, key=len) if path.startswith(i)), None)
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
    res.differences = em.out
    for d in res.differences:
        if d.cls == "must_match":
            d.a, d.b = _clip(d.a), _clip(d.b)
    for f in flows:
        res.pages[[p["flow"] for p in res.pages].index(f)]["differences"] = sum(1 for d in em.out if d.flow == f)
    if mode == "peers":
        res.failover = diff_failover.health(sa.snapshot, sb.snapshot, la, lb)
    else:
        res.failover = {"checked": False, "reason": "one appliance at two times: failover health is per pair"}
    return res


def _clip(v: str | None, n: int = 2000) -> str | None:
    return v if v is None or len(v) <= n else v[:n] + "…"


def load_snapshot(folder: Path | str) -> Snapshot:
    """The manifest of a snapshot folder (its settings model read or migrated), or one clear ConfigError (exit 2)."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder")
    if not path.is_file():
        raise ConfigError(f"{folder}: no manifest.json (not a snapshot folder, or the capture did not finish)")
    try:
        snap = Snapshot.model_validate_json(path.read_bytes())
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "manifest"
        raise ConfigError(f"{path}: not a valid manifest ({where}: {first.get('msg')})") from None
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read the manifest: {e}") from None
    model.of(snap)  # a settings model this bt-capture cannot read is refused here, before any work
    return snap


def compare_folders(a: Path | str, b: Path | str, *, mode: str = "auto",
                    rules: DiffRules | None = None) -> tuple[DiffResult, Side, Side]:
    sa, sb = load_snapshot(a), load_snapshot(b)
    swapped = mode in ("auto", "upgrade") and (mode == "upgrade" or detect_mode(sa, sb)[0] == "upgrade") \
        and sa.started_at is not None and sb.started_at is not None and sa.started_at > sb.started_at
    if swapped:
        a, b, sa, sb = b, a, sb, sa  # before, then after
    va, vb = Side(sa, Path(a)), Side(sb, Path(b))
    result = compare(va, vb, mode=mode, rules=rules)
    if swapped:
        result.mode_reason += "; the earlier capture is taken as before"
    return result, va, vb


def peer_diff(a: Path, b: Path, output_root: Path, *, mode: str = "auto", rules: DiffRules | None = None,
              visual: bool = True, pdf: bool = True) -> dict[str, Any]:
    """Compare two snapshot folders and write diff.json, diff.html, diff.pdf and images; return the summary."""
    return run_diff(a, b, output_root, mode=mode, rules=rules, visual=visual, pdf=pdf)[1]


def run_diff(a: Path, b: Path, output_root: Path, *, mode: str = "auto", rules: DiffRules | None = None,
             visual: bool = True, pdf: bool = True) -> tuple[DiffResult, dict[str, Any]]:
    from reports import diff_output

    result, va, vb = compare_folders(a, b, mode=mode, rules=rules)
    short = lambda v: v.snapshot.label or v.snapshot.appliance_hostname or v.name  # noqa: E731
    name_a, name_b = short(va), short(vb)
    if name_a == name_b:
        name_a, name_b = va.name, vb.name
    out = Path(output_root) / f"diff_{name_a}__{name_b}"
    paths = diff_output.write_all(result, va, vb, out, visual=visual, pdf=pdf)
    return result, summary(result, paths)


def summary(result: DiffResult, paths: dict[str, Any]) -> dict[str, Any]:
    return {"a": result.a, "b": result.b, "a_snapshot": result.a_name, "b_snapshot": result.b_name,
            "mode": result.mode, "verdict": result.verdict, "must_match": len(result.must_match),
            "review": len(result.of("review")), "expected": len(result.of("expected")),
            "html": str(paths.get("html") or ""), "json": str(paths.get("json") or ""),
            "pdf": str(paths.get("pdf") or ""),
            "differences": [{k: v for k, v in d.to_dict().items() if k in ("flow", "section", "label", "a", "b",
                                                                          "class", "change", "path")}
                            for d in result.must_match],
            "failover": result.failover, "warnings": result.warnings, "folder": str(paths.get("folder") or "")}


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


__all__ = ["DiffResult", "Difference", "Side", "compare", "compare_folders", "detect_mode", "load_snapshot",
           "peer_diff", "run_diff"]
