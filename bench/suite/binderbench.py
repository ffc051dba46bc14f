"""Benchmark 7: the binder of an output root with 500 snapshots (50 appliances × 10 weeks), without and with its cache."""
from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from suite import ours
from suite.common import BTC, Ctx, Section, SimProcess, Table, load_now, median, run_proc, spread

GOAL = 3.0  # seconds for `bt-capture binder ROOT` (index.html and binder.pdf) at 500 snapshots, cache up to date
T0 = datetime(2026, 1, 4, 2, 30, tzinfo=timezone.utc)


def _sources(ctx: Ctx, work: Path) -> tuple[Path, Path]:
    """Two real snapshots of a failover pair (benchmark 6's, else captured here) to copy the manifests of."""
    if ctx.cache.get("pair_snapshots"):
        return ctx.cache["pair_snapshots"]
    if ctx.quick and len(ctx.cache.get("two_snapshots", [])) == 2:
        return tuple(ctx.cache["two_snapshots"])  # type: ignore[return-value]
    with SimProcess(work / "sim", "--pair") as sim:
        run = ours.capture(sim, work / "pair", jobs=2, args=["--no-render"] + (["--no-ocr"] if ctx.quick else []))
    a, b = run.folders
    return a, b


def _name(label: str, when: datetime) -> str:
    return f"{label}.example.test_7.3.2_SN-{label}_base-7.3.2_{when:%Y-%m-%dT%H%MZ}"


def add_week(root: Path, manifests: tuple[dict[str, Any], dict[str, Any]], apps: int, week: int) -> list[Path]:
    """One snapshot of each of apps appliances (pairs bt000/bt001, …), as week `week` of weekly runs leaves it."""
    out = []
    for i in range(apps):
        label, peer = f"bt{i:03d}", f"bt{i ^ 1:03d}"
        started = T0 + timedelta(weeks=week, minutes=i)
        m = dict(manifests[i % 2], label=label, name=_name(label, started), appliance_hostname=f"{label}.example.test",
                 site_hostname=f"site{i // 2:03d}.example.test", started_at=started.isoformat(),
                 finished_at=(started + timedelta(minutes=3)).isoformat(), peer={"name": peer})
        folder = root / m["name"]
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps(m, indent=2))
        (folder / "dossier.html").write_text("<!doctype html><title>dossier</title>")
        out.append(folder)
    return out


def build_root(root: Path, a: Path, b: Path, apps: int, weeks: int) -> dict[str, Any]:
    """apps × weeks snapshot folders, the newest of each pair diffed (one diff.json of the real pair's, relabelled)."""
    from reports import diff

    manifests = tuple(json.loads((f / "manifest.json").read_text()) for f in (a, b))
    for w in range(weeks):
        add_week(root, manifests, apps, w)  # type: ignore[arg-type]
    result = diff.compare_folders(a, b)[0]
    data = result.to_dict()
    last = T0 + timedelta(weeks=weeks - 1)
    for i in range(0, apps, 2):
        x, y = f"bt{i:03d}", f"bt{i + 1:03d}"
        d = root / f"diff_{x}__{y}"
        d.mkdir()
        (d / "diff.json").write_text(json.dumps(data | {
            "a": x, "b": y, "a_snapshot": _name(x, last + timedelta(minutes=i)),
            "b_snapshot": _name(y, last + timedelta(minutes=i + 1))}, default=str))
        (d / "diff.html").write_text("<!doctype html><title>diff</title>")
    size = sum(len(json.dumps(m)) for m in manifests) / 2
    return {"manifest_kib": size / 1024, "differences": len(result.differences), "pages": len(manifests[0]["pages"])}


def _timed(fn: Callable[[], Any], reps: int, before: Callable[[], Any] | None = None) -> list[float]:
    out = []
    for _ in range(reps):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def section(ctx: Ctx) -> Section:
    measured = load_now()
    work = ctx.folder("binder")
    apps, weeks = (4, 5) if ctx.quick else (50, 10)
    a, b = _sources(ctx, work)
    root = work / "root"
    if root.exists():
        shutil.rmtree(root)
    facts = build_root(root, a, b, apps, weeks)
    reps = 1 if ctx.quick else max(ctx.reps, 3)
    manifests = tuple(json.loads((f / "manifest.json").read_text()) for f in (a, b))
    cache = root / ".bt-binder-cache.json"
    added = [weeks]

    def cmd(*extra: str) -> Callable[[], Any]:
        return lambda: run_proc([*BTC, "binder", str(root), *extra], sample=False)

    def next_run() -> None:  # a shard's run has just added 8 snapshots
        add_week(root, manifests, min(8, apps), added[0])  # type: ignore[arg-type]
        added[0] += 1

    from reports import binder, binder_scan

    cmd("--html-only")()  # warm the page cache and write the index file once
    rows: list[tuple[str, list[float]]] = [
        ("`bt-capture binder ROOT --html-only`, no index file (every manifest read)",
         _timed(cmd("--html-only"), reps, before=lambda: cache.unlink(missing_ok=True))),
        ("`bt-capture binder ROOT --html-only`, index file up to date", _timed(cmd("--html-only"), reps)),
        ("`bt-capture binder ROOT --html-only` after a run added 8 snapshots",
         _timed(cmd("--html-only"), reps, before=next_run)),
        ("`bt-capture binder ROOT` (index.html and binder.pdf), index file up to date", _timed(cmd(), reps)),
        ("in process: scan, no index file", _timed(lambda: binder_scan.scan(root), reps,
                                                   before=lambda: cache.unlink(missing_ok=True))),
        ("in process: scan, index file up to date",
         _timed(lambda: binder_scan.scan(root), reps, before=lambda: binder_scan.save(root, binder_scan.scan(root)))),
        ("in process: model + index.html from the scan",
         _timed(lambda: binder.render_html(binder_scan.scan(root), root), reps)),
    ]
    snaps = apps * weeks
    t = Table(f"Binder of a root with {snaps} snapshots ({apps} appliances × {weeks} weekly runs, {apps // 2} pairs "
              f"diffed; manifests of {facts['pages']} pages, {facts['manifest_kib']:.0f} KiB each; median of {reps})",
              ["what", "wall"])
    t.rows = [[label, spread(secs)] for label, secs in rows]
    sec = Section("binder", "7. Binder of a large output root", METHOD, [t], measured=measured)
    whole = median(rows[3][1])
    sec.goals.append((f"`bt-capture binder` at {snaps} snapshots under {GOAL:.0f} s (HTML and PDF, index file "
                      "up to date)", whole < GOAL, f"{whole:.2f} s"))
    cold = median(rows[0][1])
    sec.notes.append(f"Without the index file (a root copied elsewhere, or a new bt-capture version) the HTML "
                     f"takes {cold:.2f} s: every manifest is parsed and summarised once, then cached.")
    return sec


METHOD = """
A root as weekly runs of a fleet leave it: 50 appliances (25 failover pairs) × 10 weeks = 500 snapshot
folders, each with the manifest of one side of a real captured pair (relabelled, with its pages, OCR
text and verification details) and a dossier.html, plus one peer diff folder per pair (the real pair's
diff.json, relabelled) for the newest week. `bt-capture binder ROOT` runs as a process (Python start-up,
and Chromium for binder.pdf, included): once without the index file (`.bt-binder-cache.json`: each
snapshot's summary keyed by its manifest's mtime, size and inode), once with it, once after 8 new
snapshots appeared, and once with the PDF. The in-process rows split the work: reading the folders and
summaries, and rendering index.html from them.
"""
