"""Benchmark 3: OCR of one snapshot's screenshots, serial against the worker pool, libtesseract in the worker against
the tesseract program per call.

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

ENGINES = {"api": "libtesseract (tesserocr)", "cli": "program (pytesseract)"}


def _cpu() -> float:
    c, s = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return c.ru_utime + c.ru_stime + s.ru_utime + s.ru_stime


def _use(engine: str) -> None:
    """This process reads with libtesseract in-process ("api", tesserocr) or the tesseract program ("cli")."""
    from capture import ocr

    os.environ["OMP_THREAD_LIMIT"] = "1"  # as every run sets it (the program's OpenMP thrashes without it)
    if os.environ.get("BTC_OCR_ENGINE", "api") != engine:
        os.environ["BTC_OCR_ENGINE"] = engine
        ocr.engine.cache_clear()
        ocr.engine_string.cache_clear()


def ocr_one(path: str, engine: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, words) of capture.ocr.ocr_image on one screenshot."""
    from capture import ocr

    _use(engine)
    ocr.engine()  # loaded once per worker, before its first screenshot, as in a run
    c0, t0 = _cpu(), time.perf_counter()
    out = ocr.ocr_image(Path(path))
    return time.perf_counter() - t0, _cpu() - c0, len(out.words)


def _warm(_: int) -> int:
    from capture import ocr  # noqa: F401  (what a worker has loaded by the time a run's first screenshot arrives)

    time.sleep(0.2)  # every worker gets one
    return os.getpid()


def run_mode(paths: list[Path], *, pool: bool, engine: str) -> tuple[float, list[tuple[float, float, int]]]:
    try:
        if pool:  # as capture.ocr.OcrPool: forkserver, one worker per core, started (and warm) before the batch
            jobs = os.cpu_count() or 1
            with ProcessPoolExecutor(jobs, mp_context=get_context("forkserver")) as ex:
                list(ex.map(_warm, range(jobs)))
                t0 = time.perf_counter()
                res = list(ex.map(ocr_one, [str(p) for p in paths], [engine] * len(paths)))
                wall = time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            res = [ocr_one(str(p), engine) for p in paths]
            wall = time.perf_counter() - t0
    finally:
        _use("api")
    return wall, res


def screenshots(ctx: Ctx) -> list[Path]:
    folder = e2e.measure(ctx)["last"].folders[0]
    paths = sorted((folder / "pages").glob("*.png"))
    return paths[:1] if ctx.quick else paths


def section(ctx: Ctx) -> Section:
    measured = load_now()
    paths = screenshots(ctx)
    modes = [("serial", False, "api"), ("worker pool", True, "api"), ("serial", False, "cli"),
             ("worker pool", True, "cli")]
    results: dict[tuple[bool, str], list[tuple[float, list]]] = {(p, e): [] for _, p, e in modes}
    for _ in range(ctx.reps):  # interleaved, so load changes hit every mode alike
        for _, pool, engine in modes:
            results[(pool, engine)].append(run_mode(paths, pool=pool, engine=engine))
    base = median(r[0] for r in results[(False, "api")])
    t = Table(f"OCR of one snapshot's {len(paths)} screenshots (capture.ocr.ocr_image; {os.cpu_count()} cores; "
              f"median of {ctx.reps} run(s))",
              ["mode", "tesseract", "wall, all images", "wall per image", "CPU per image",
               "speed-up vs serial, libtesseract"])
    for label, pool, engine in modes:
        runs = results[(pool, engine)]
        walls = [r[0] for r in runs]
        per = [x[0] for r in runs for x in r[1]]
        cpu = [x[1] for r in runs for x in r[1]]
        t.rows.append([label, ENGINES[engine], spread(walls), f"{median(per):.2f} s",
                       f"{median(cpu):.2f} s", f"{base / median(walls):.2f}×"])
    sec = Section("ocr", "3. OCR: serial against the worker pool", METHOD, [t], measured=measured)
    pool_a = median(r[0] for r in results[(True, "api")])
    pool_c = median(r[0] for r in results[(True, "cli")])
    sec.notes.append(f"The pool with libtesseract in each worker (what bt-capture runs) is {base / pool_a:.2f}× serial "
                     f"and {pool_c / pool_a:.2f}× faster than the same pool running the tesseract program per call.")
    words = median(x[2] for r in results[(True, "api")] for x in r[1])
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
each reading with libtesseract loaded once in the worker (tesserocr, the default) and with the
`tesseract` program started per call through pytesseract (`BTC_OCR_ENGINE=cli`, the fallback: it loads the
model each time and gets each image as a PNG file). `OMP_THREAD_LIMIT=1` in both, as in a run (the wheel's
libtesseract has no OpenMP; the program's thrashes without the limit, ~8× slower on 2 cores). The modes are
interleaved per repetition. CPU per image is user + system time of the worker and its tesseract children.
"""
