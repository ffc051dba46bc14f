"""Benchmark 3: OCR of one snapshot's screenshots, serial against the worker pool, with and without OMP_THREAD_LIMIT=1.

Same approach as bench/ocr_bench.py (which also compares page segmentation modes): each image is
OCRed by capture.ocr.ocr_image exactly as a run does; CPU seconds are counted inside each worker,
tesseract children included, because CPU time is the stable number on a busy machine.
"""
from __future__ import annotations

import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from suite import e2e
from suite.common import Ctx, Section, Table, load_now, median, spread


def _cpu() -> float:
    c, s = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return c.ru_utime + c.ru_stime + s.ru_utime + s.ru_stime


def _limit(limited: bool) -> None:
    from capture import ocr

    if limited:
        os.environ["OMP_THREAD_LIMIT"] = "1"
        ocr.limit_threads = _restore  # type: ignore[assignment]
    else:  # this process only: let tesseract start its OpenMP threads
        os.environ.pop("OMP_THREAD_LIMIT", None)
        ocr.limit_threads = lambda: None


def _restore() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def ocr_one(path: str, limited: bool) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, words) of capture.ocr.ocr_image on one screenshot."""
    from capture import ocr

    _limit(limited)
    c0, t0 = _cpu(), time.perf_counter()
    out = ocr.ocr_image(Path(path))
    return time.perf_counter() - t0, _cpu() - c0, len(out.words)


def _warm(_: int) -> int:
    from capture import ocr  # noqa: F401  (what a worker has loaded by the time a run's first screenshot arrives)

    time.sleep(0.2)  # every worker gets one
    return os.getpid()


def run_mode(paths: list[Path], *, pool: bool, limited: bool) -> tuple[float, list[tuple[float, float, int]]]:
    try:
        if pool:  # as capture.ocr.OcrPool: forkserver, one worker per core, started (and warm) before the batch
            jobs = os.cpu_count() or 1
            with ProcessPoolExecutor(jobs, mp_context=get_context("forkserver")) as ex:
                list(ex.map(_warm, range(jobs)))
                t0 = time.perf_counter()
                res = list(ex.map(ocr_one, [str(p) for p in paths], [limited] * len(paths)))
                wall = time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            res = [ocr_one(str(p), limited) for p in paths]
            wall = time.perf_counter() - t0
    finally:
        _limit(True)
    return wall, res


def screenshots(ctx: Ctx) -> list[Path]:
    folder = e2e.measure(ctx)["last"].folders[0]
    paths = sorted((folder / "pages").glob("*.png"))
    return paths[:1] if ctx.quick else paths


def section(ctx: Ctx) -> Section:
    measured = load_now()
    paths = screenshots(ctx)
    modes = [("serial", False, True), ("worker pool", True, True), ("serial", False, False),
             ("worker pool", True, False)]
    results: dict[tuple[bool, bool], list[tuple[float, list]]] = {(p, l): [] for _, p, l in modes}
    for _ in range(ctx.reps):  # interleaved, so load changes hit every mode alike
        for _, pool, limited in modes:
            results[(pool, limited)].append(run_mode(paths, pool=pool, limited=limited))
    base = median(r[0] for r in results[(False, True)])
    t = Table(f"OCR of one snapshot's {len(paths)} screenshots (capture.ocr.ocr_image; {os.cpu_count()} cores; "
              f"median of {ctx.reps} run(s))",
              ["mode", "OMP_THREAD_LIMIT", "wall, all images", "wall per image", "CPU per image",
               "speed-up vs serial, limit 1"])
    for label, pool, limited in modes:
        runs = results[(pool, limited)]
        walls = [r[0] for r in runs]
        per = [x[0] for r in runs for x in r[1]]
        cpu = [x[1] for r in runs for x in r[1]]
        t.rows.append([label, "1" if limited else "unset", spread(walls), f"{median(per):.2f} s",
                       f"{median(cpu):.2f} s", f"{base / median(walls):.2f}×"])
    sec = Section("ocr", "3. OCR: serial against the worker pool", METHOD, [t], measured=measured)
    pool_l = median(r[0] for r in results[(True, True)])
    pool_u = median(r[0] for r in results[(True, False)])
    sec.notes.append(f"The pool with `OMP_THREAD_LIMIT=1` (what bt-capture runs) is {base / pool_l:.2f}× serial and "
                     f"{pool_u / pool_l:.2f}× faster than the same pool without the limit.")
    words = median(x[2] for r in results[(True, True)] for x in r[1])
    sec.notes.append(f"Median {words:.0f} words per screenshot; psm {_psm()}, tall pages in bands, unsure words "
                     "read again from enlarged crops (capture.ocr as it is now).")
    return sec


def _psm() -> int:
    from capture import ocr

    return ocr.PSM


METHOD = """
The screenshots of one snapshot (the last run of benchmark 1) are OCRed with `capture.ocr.ocr_image`,
the function the run's workers call, in four modes: one after the other in one process, or in a
forkserver process pool with one worker per core (as `capture.ocr.OcrPool`; started and warmed up
before the clock starts, as a run's pool is by the time its first screenshot arrives),
each with `OMP_THREAD_LIMIT=1` and without it (tesseract's OpenMP then starts one thread per core in
every call). The modes are interleaved per repetition. CPU per image is user + system time of the
worker and its tesseract children.
"""
