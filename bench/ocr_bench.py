#!/usr/bin/env python3
"""OCR benchmark: serial vs process pool, with and without OMP_THREAD_LIMIT=1, and PSM recall.

    python bench/ocr_bench.py FOLDER [--repeat 3] [--jobs 2] [--psm 3,11,6]
    python bench/ocr_bench.py --make-pages 8 FOLDER     # render admin-like pages with Chromium first

Prints a Markdown table of medians over --repeat runs: wall seconds for the whole folder, per image,
and CPU seconds (tesseract children included; CPU time is the stable number on a busy machine).
A PNG with a `NAME.sections.json` beside it (written by --make-pages) also gets a legibility score,
which is how the default PSM was chosen.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from capture import ocr  # noqa: E402
from capture.browser import default_browser  # noqa: E402
from capture.ocr_text import legibility  # noqa: E402
from capture.records import Section  # noqa: E402


def _cpu() -> float:
    c, s = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return c.ru_utime + c.ru_stime + s.ru_utime + s.ru_stime


def _set_limit(limited: bool) -> None:
    if limited:
        ocr.limit_threads()
        return
    os.environ.pop("OMP_THREAD_LIMIT", None)
    ocr.limit_threads = lambda: None  # this process only: let tesseract start its OpenMP threads


def _one(path: str, limited: bool, psm: int) -> tuple[str, float, float]:
    _set_limit(limited)
    c0 = _cpu()
    out = ocr.ocr_image(Path(path), psm=psm)
    return out.text, out.seconds, _cpu() - c0


def run(paths: list[Path], *, pool: bool, limited: bool, jobs: int, psm: int) -> tuple[float, list, float]:
    """(wall seconds, [(text, seconds, cpu)] per image, total CPU seconds)."""
    t0 = time.perf_counter()
    if pool:
        with ProcessPoolExecutor(jobs, mp_context=get_context("forkserver")) as ex:
            results = list(ex.map(_one, [str(p) for p in paths], [limited] * len(paths), [psm] * len(paths)))
    else:
        _set_limit(limited)
        results = [_one(str(p), limited, psm) for p in paths]
    return time.perf_counter() - t0, results, sum(r[2] for r in results)


def _score(paths: list[Path], results: list) -> str:
    scores = []
    for p, (text, _, _) in zip(paths, results):
        side = p.with_suffix(".sections.json")
        if side.is_file():
            secs = [Section.model_validate(s) for s in json.loads(side.read_text())]
            scores.append(legibility(secs, text)[0])
    return f"{statistics.mean(scores):.4f} (min {min(scores):.3f})" if scores else "–"


def make_pages(folder: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from gen_admin_page import admin_page
    from playwright.sync_api import sync_playwright
    folder.mkdir(parents=True, exist_ok=True)
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(default_browser()), args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for i in range(n):
            html, sections = admin_page(i, repeat=3 if i == n - 1 else 1)  # the last one is tall
            page.set_content(html)
            page.screenshot(path=str(folder / f"page{i:02}.png"), full_page=True)
            (folder / f"page{i:02}.sections.json").write_text(json.dumps([s.model_dump() for s in sections]))
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--psm", default=str(ocr.PSM), help="comma-separated page segmentation modes to compare")
    ap.add_argument("--make-pages", type=int, default=0, metavar="N")
    ap.add_argument("--no-unlimited", action="store_true", help="skip the slow runs without OMP_THREAD_LIMIT")
    a = ap.parse_args()
    if a.make_pages:
        make_pages(a.folder, a.make_pages)
    paths = sorted(a.folder.glob("*.png"))
    if not paths:
        sys.exit(f"no PNG in {a.folder}")
    print(f"{len(paths)} images, {a.jobs} jobs, {a.repeat} runs each; {ocr.engine_string()}\n")
    print("| mode | psm | OMP_THREAD_LIMIT | wall total s | wall per image s | CPU per image s | legibility |")
    print("|---|---|---|---|---|---|---|")
    for psm in (int(x) for x in a.psm.split(",")):
        for pool in (False, True):
            for limited in ((True,) if a.no_unlimited else (True, False)):
                runs = [run(paths, pool=pool, limited=limited, jobs=a.jobs, psm=psm) for _ in range(a.repeat)]
                wall = statistics.median(r[0] for r in runs)
                per = statistics.median(x[1] for r in runs for x in r[1])
                cpu = statistics.median(r[2] for r in runs) / len(paths)
                print(f"| {'pool' if pool else 'serial'} | {psm} | {'1' if limited else 'unset'} | {wall:.2f} | "
                      f"{per:.2f} | {cpu:.2f} | {_score(paths, runs[-1][1])} |", flush=True)


if __name__ == "__main__":
    main()
