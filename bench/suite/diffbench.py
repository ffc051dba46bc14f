"""Benchmark 6: `bt-capture diff` on two full snapshots of the simulated pair (the stages of bench/diff_bench.py)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from suite import ours
from suite.common import BTC, Ctx, Section, SimProcess, Table, load_now, median, run_proc, spread

GOAL = 2.0


def _timed(fn: Callable[[], Any], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def section(ctx: Ctx) -> Section:
    measured = load_now()
    work = ctx.folder("diff")
    run = None
    if ctx.quick and len(ctx.cache.get("two_snapshots", [])) == 2:
        a, b = ctx.cache["two_snapshots"]  # --quick: benchmark 4's two appliances (not a pair, no OCR)
    else:
        with SimProcess(work / "sim", "--pair") as sim:
            run = ours.capture(sim, work / "pair", jobs=2, args=["--no-render"] + (["--no-ocr"] if ctx.quick else []))
        a, b = run.folders
        ctx.cache["pair_snapshots"] = (a, b)  # benchmark 7 builds its large root from these manifests
    from flows.diffrules import DiffRules
    from reports import diff

    rules = DiffRules.load()
    result = diff.compare_folders(a, b, rules=rules)[0]
    reps = max(ctx.reps, 3) if not ctx.quick else 1
    out = work / "diffs"

    def cmd(*extra: str) -> Callable[[], Any]:
        def go() -> None:
            p = run_proc([*BTC, "diff", str(a), str(b), "-o", str(out), "--json", *extra], check=False, sample=False)
            if p.rc not in (0, 1):  # 1: must-match differences, a verdict and not a failure
                raise RuntimeError(f"bt-capture diff exited {p.rc}: {p.stderr.strip()[-800:]}")
        return go

    rows: list[tuple[str, list[float]]] = [
        ("`bt-capture diff A B` as a process: compare, diff.json, diff.html, screenshot overlays, diff.pdf",
         _timed(cmd(), reps)),
        ("`bt-capture diff A B --no-pdf` as a process", _timed(cmd("--no-pdf"), reps)),
        ("in process: load both manifests + compare", _timed(lambda: diff.compare_folders(a, b, rules=rules), reps)),
        ("in process: + diff.json, diff.html, screenshot overlays",
         _timed(lambda: diff.run_diff(a, b, out, rules=rules, pdf=False), reps)),
        ("in process: + diff.pdf (Chromium)",
         [] if ctx.quick else _timed(lambda: diff.run_diff(a, b, out, rules=rules, pdf=True), reps)),
        ("peer diff inside `bt-capture run` (reports.diff.peer_diff, with PDF)",
         [e["end"] - e["start"] for e in run.events("peer_diff")] if run else []),
    ]
    pages = sum(1 for f in (a, b) for p in _pages(f) if p.get("screenshot"))
    what = "the failover pair's two snapshots" if run else "two snapshots of benchmark 4 (--quick)"
    ocr = "with" if not ctx.quick else "without (--quick)"
    t = Table(f"Diff of {what} ({pages} screenshots, {ocr} OCR words; "
              f"{len(result.differences)} differences, {result.verdict}; median of {reps})", ["what", "wall"])
    t.rows = [[label, spread(secs)] for label, secs in rows]
    sec = Section("diff", "6. Diff of two full snapshots", METHOD, [t], measured=measured)
    whole, no_pdf = median(rows[0][1]), median(rows[1][1])
    sec.goals.append((f"`bt-capture diff` under {GOAL:.0f} s (every output, PDF included)", whole < GOAL,
                      f"{whole:.2f} s"))
    sec.goals.append((f"`bt-capture diff --no-pdf` under {GOAL:.0f} s (comparison, JSON, HTML, overlays)",
                      no_pdf < GOAL, f"{no_pdf:.2f} s"))
    return sec


def _pages(folder: Path) -> list[dict[str, Any]]:
    from suite.common import manifest

    return manifest(folder)["pages"]


METHOD = """
`bt-capture simulate --pair` (a subprocess) serves the failover pair; one `bt-capture run --no-render`
captures both peers with OCR (the run's own peer diff is timed by `bench/probe.py`). Then
`bt-capture diff A B` runs as a process (Python start-up and Chromium for the PDF included), and the
stages of `bench/diff_bench.py` run in this process: the comparison alone, then with the JSON, HTML and
screenshot overlays, then with the PDF.
"""
