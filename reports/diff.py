"""Compare two snapshots by their settings models: failover peers, or one appliance before and after an upgrade."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import flows.settings as model
from capture.errors import ConfigError
from capture.records import Snapshot
from flows.diffrules import DiffRules
from flows.settings.paths import leaves
from reports import diff_failover
from reports.diff_compare import Difference, differences

MODES = ("auto", "peers", "upgrade")


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
    not_compared: dict[str, list[str]] = field(default_factory=dict)  # page title -> labels it is missing on
    failed_steps: dict[str, list[str]] = field(default_factory=dict)  # label -> steps that failed in its capture

    def of(self, cls: str) -> list[Difference]:
        return [d for d in self.differences if d.cls == cls]

    @property
    def must_match(self) -> list[Difference]:
        return self.of("must_match")

    @property
    def comparable(self) -> bool:
        """Both snapshots hold every page either holds (at least one), and neither capture had a failed step."""
        return bool(self.pages) and not self.not_compared and not any(self.failed_steps.values())

    @property
    def verdict(self) -> str:
        n = len(self.must_match)
        if n == 0 and self.comparable:
            return "the peers are consistent" if self.mode == "peers" else "the upgrade kept every must-match setting"
        dropped = sum(1 for d in self.must_match if d.change == "dropped")
        extra = f" ({dropped} dropped by the upgrade)" if dropped else ""
        differ = f"{n} must-match field{'s' if n != 1 else ''} differ{'s' if n == 1 else ''}{extra}"
        if self.comparable:
            return differ
        # Two snapshots that lack pages or steps are not alike: never call them consistent.
        gap = f"not comparable: {self.incomparable()}"
        return f"{differ}; {gap}" if n else gap

    def incomparable(self) -> str:
        """What could not be compared, in one line: the pages and on which side, and the failed steps."""
        parts = [] if self.pages else ["neither snapshot holds a page"]
        if self.not_compared:
            by_side: dict[str, list[str]] = {}
            for title, sides in self.not_compared.items():
                by_side.setdefault(" and ".join(sides), []).append(title)
            pages = "; ".join(f"on {side}: {_names(titles)}" for side, titles in by_side.items())
            n = len(self.not_compared)
            parts.append(f"{n} of {len(self.pages)} page{'s' if len(self.pages) != 1 else ''} not captured ({pages})")
        failed = [f"{len(steps)} on {label} ({_names(steps)})" for label, steps in self.failed_steps.items() if steps]
        if failed:
            parts.append("failed steps: " + ", ".join(failed))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "a_snapshot": self.a_name, "b_snapshot": self.b_name, "mode": self.mode,
                "mode_reason": self.mode_reason, "verdict": self.verdict, "must_match": len(self.must_match),
                "review": len(self.of("review")), "expected": len(self.of("expected")),
                "volatile": len(self.of("volatile")), "differences": [d.to_dict() for d in self.differences],
                "pages": self.pages, "warnings": self.warnings, "failover": self.failover, "comparable": self.comparable,
                "not_compared": self.not_compared, "failed_steps": self.failed_steps}


def _names(items: list[str], n: int = 4) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


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
            res.not_compared[titles[flow]] = missing
            res.warnings.append(f"{titles[flow]}: not captured on {' and '.join(missing)}; not compared")
    for lbl, snap in ((la, sa.snapshot), (lb, sb.snapshot)):
        res.failed_steps[lbl] = list(dict.fromkeys(f.step for f in snap.failures))
    res.differences = differences(va, vb, abs_a | abs_b, not_ok, rules, mode, titles)
    for d in res.differences:
        if d.cls == "must_match":
            d.a, d.b = _clip(d.a), _clip(d.b)
    for row in res.pages:
        row["differences"] = sum(1 for d in res.differences if d.flow == row["flow"])
        row["compared"] = 0 if row["flow"] in not_ok else len(_paths_of(va, row["flow"]) & _paths_of(vb, row["flow"]))
    if mode == "peers":
        res.failover = diff_failover.health(sa.snapshot, sb.snapshot, la, lb)
    else:
        res.failover = {"checked": False, "reason": "one appliance at two times: failover health is per pair"}
    return res


def _paths_of(leaves_: dict[str, Any], flow: str) -> set[str]:
    """The model paths a page gave values to (what a page's comparison covered)."""
    return {path for path, leaf in leaves_.items() if leaf.src is not None and leaf.src.flow == flow}


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
            "comparable": result.comparable, "not_compared": result.not_compared,
            "failed_steps": result.failed_steps,
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
