#!/usr/bin/env python3
"""Run the benchmarks, print a table for each, and rewrite docs/benchmarks.md (`make bench`).

    python bench/run.py [--quick] [--only NAME[,NAME]] [--out docs/benchmarks.md] [--reps N] [--work DIR]

Benchmarks: e2e (one appliance against the floor), peer (shot-scraper), ocr (serial vs pool),
fleet (1-20 appliances at several --jobs), nsb (large backups against curl), diff (two full
snapshots), binder (an output root of 500 snapshots), profile (pyinstrument over the slowest stage),
archive (one busy day of sessions and recordings against curl). --quick runs each at tiny sizes, once.
Exit status: 0 when every benchmark ran (goals missed are reported, not failed), 1 when one crashed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
os.environ["OMP_THREAD_LIMIT"] = "1"

from suite import archivebench, binderbench, diffbench, e2e, fleet, nsb, ocrbench, peer, profile, report  # noqa: E402
from suite.common import ROOT, Ctx, Section, load_now  # noqa: E402

BENCHMARKS = {"e2e": e2e.section, "peer": peer.section, "ocr": ocrbench.section, "fleet": fleet.section,
              "nsb": nsb.section, "diff": diffbench.section, "binder": binderbench.section, "profile": profile.section,
              "archive": archivebench.section}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one repetition (the test suite's smoke run)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME", help=f"one of {', '.join(BENCHMARKS)}")
    ap.add_argument("--out", type=Path, help="the Markdown file to (re)write, e.g. docs/benchmarks.md")
    ap.add_argument("--reps", type=int, help="repetitions per measurement (default 3; 1 with --quick)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench-out", help="scratch folder (emptied first)")
    a = ap.parse_args()
    names = [n for o in a.only for n in o.split(",") if n] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if a.work.exists():
        shutil.rmtree(a.work)
    a.work.mkdir(parents=True)
    ctx = Ctx(work=a.work, quick=a.quick, reps=a.reps or (1 if a.quick else 3))
    started = report.now()
    print(f"bench: {', '.join(names)}{' (quick)' if a.quick else ''}; {load_now()}", flush=True)
    sections: list[Section] = []
    crashed = []
    try:
        _run_all(ctx, names, sections, crashed, a.quick)
    finally:
        ctx.close()
    if a.out:
        report.write(a.out, sections, list(BENCHMARKS), started)
        print(f"bench: wrote {a.out}")
    if not os.environ.get("BTB_KEEP"):
        shutil.rmtree(a.work, ignore_errors=True)
    return 1 if crashed else 0


def _run_all(ctx: Ctx, names: list[str], sections: list[Section], crashed: list[str], quick: bool) -> None:
    for name in names:
        t0, load, when = time.monotonic(), load_now(), report.now()
        try:
            sec = BENCHMARKS[name](ctx)
        except Exception as e:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            crashed.append(name)
            sec = Section(name, f"{name}: did not run", f"The benchmark failed: `{type(e).__name__}: {e}`"[:800])
        sec.measured = (f"Measured {when:%Y-%m-%d %H:%M} UTC{' (--quick: tiny sizes, one run)' if quick else ''} "
                        f"in {time.monotonic() - t0:.0f} s; {load} at the start, {load_now()} at the end.")
        sections.append(sec)
        print("\n" + sec.markdown(), flush=True)


if __name__ == "__main__":
    sys.exit(main())
