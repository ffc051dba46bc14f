"""Benchmark 1: one appliance end to end (`bt-capture run`) against the floor (bench/floor.py), stage by stage."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from suite import ours
from suite.common import (BENCH, PY, Ctx, Section, SimProcess, Table, base_env, load_now, median, mib, ratio,
                          run_proc, spread)

GOAL = 1.5
FLOOR_STAGES = ["startup", "browser launch", "browser (login, pages)", "browser close",
                "OCR (remainder after browsing)", "exit"]


def floor_run(sim: SimProcess, urls: list[str], work: Path, mode: str) -> dict[str, Any]:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "urls.json").write_text(json.dumps(urls))
    timings = work / "timings.json"
    proc = run_proc([PY, str(BENCH / "floor.py"), str(sim.info_file), str(work / "urls.json"), str(work / "shots"),
                     str(timings), "--ocr", mode], env=base_env())
    t = json.loads(timings.read_text())
    if t["pages"] != len(urls):
        raise RuntimeError(f"the floor took {t['pages']} screenshots, not {len(urls)}")
    marks = [proc.started, t["started"], t["launched"], t["browsed"], t["closed"], t["ocr_done"],
             proc.started + proc.wall]
    t["stages"] = {name: max(0.0, b - a) for name, a, b in zip(FLOOR_STAGES, marks, marks[1:])}
    t["wall"], t["peak_rss"], t["peak_pss"] = proc.wall, proc.peak_rss, proc.peak_pss
    return t


def page_urls(run: ours.Run) -> list[str]:
    return [p["url"] for p in run.pages() if p["status"] == "ok" and p.get("screenshot")]


def measure(ctx: Ctx) -> dict[str, Any]:
    """Our runs and the floor's, interleaved (ours, floor, ours, floor…) so load changes hit both alike."""
    if "e2e" in ctx.cache:
        return ctx.cache["e2e"]
    work = ctx.folder("e2e")
    modes = ["same"] if ctx.quick else ["same", "plain"]
    res: dict[str, Any] = {"ours": [], "floor": {m: [] for m in modes}, "measured": load_now()}
    with SimProcess(work / "sim") as sim:
        res["info"] = sim.info
        first = ours.capture(sim.info, work / "ours")
        urls = page_urls(first)
        if ctx.quick:
            res["ours"].append(first)  # one repetition; otherwise the first run only warms the caches
        for _ in range(ctx.reps):
            for m in modes:
                res["floor"][m].append(floor_run(sim, urls, work / f"floor-{m}", m))
            if len(res["ours"]) < ctx.reps:
                res["ours"].append(ours.capture(sim.info, work / "ours"))
        res["urls"] = urls
        res["last"] = res["ours"][-1]
    ctx.cache["e2e"] = res
    return res


def _browser_parts(runs: list[ours.Run]) -> Table:
    t = Table("Inside bt-capture's browser stage (median seconds; the two interfaces run concurrently)",
              ["part", "seconds", "count"])
    last = runs[-1]
    name = next(e["what"].split(":")[1] for e in last.events("appliance:"))
    for label, prefix in [("/appliance interface (login → logout)", f"interface:{name}:appliance"),
                          ("/login interface (login → logout)", f"interface:{name}:login"),
                          ("logins (both, incl. agreement and TOTP)", "login:"),
                          ("page captures (reach, read, screenshot)", "page:"),
                          ("certificate export (.p12, incl. its page)", "action:" + name + ":appliance.certificate"),
                          ("NSB backup (Backup API)", f"action:{name}:login.backup"),
                          ("Vault encryption key", f"action:{name}:login.vault_key")]:
        secs = [r.total(prefix) for r in runs]
        t.rows.append([label, spread(secs), len(last.events(prefix))])
    per_page = [r.total("page:") / max(1, len(r.events("page:"))) for r in runs]
    t.rows.append(["per page capture", spread(per_page), ""])
    ocr = [s for r in runs for s in r.ocr_seconds()]
    t.rows.append(["OCR per screenshot (in a worker, from the manifest)", spread([median(ocr)]), len(ocr) // len(runs)])
    return t


def section(ctx: Ctx) -> Section:
    res = measure(ctx)
    runs: list[ours.Run] = res["ours"]
    floors: dict[str, list[dict[str, Any]]] = res["floor"]
    walls = [r.proc.wall for r in runs]
    fw = {m: [f["wall"] for f in fs] for m, fs in floors.items()}
    n = len(res["urls"])
    main = Table(f"One appliance end to end, {n} pages (median of {len(runs)} run(s), range in brackets)",
                 ["run", "wall", "peak RSS / PSS of the process tree", "ratio to the floor"])
    main.rows.append(["`bt-capture run`: login, every page, p12, NSB (API), vault key, OCR, verification, "
                      "dossier HTML + PDF", spread(walls), f"{mib(median(r.proc.peak_rss for r in runs))} / "
                      f"{mib(median(r.proc.peak_pss for r in runs))}", ratio(median(walls), median(fw['same']))])
    labels = {"same": "floor: bare Playwright + tesseract as bt-capture runs it (grey, 2× upscale, psm 11)",
              "plain": "floor: bare Playwright + tesseract defaults on the raw PNG"}
    for m, fs in floors.items():
        main.rows.append([labels[m], spread(fw[m]), f"{mib(median(f['peak_rss'] for f in fs))} / "
                          f"{mib(median(f['peak_pss'] for f in fs))}", ratio(median(fw[m]), median(fw['same']))])
    stages = Table("Where the wall time goes (median seconds per stage; stages follow each other and add up to the "
                   "wall time)", ["stage", "bt-capture", "floor (same OCR)"])
    ours_st = {k: [r.stages()[k] for r in runs] for k in ours.STAGES}
    fl_st = {k: [f["stages"][k] for f in floors["same"]] for k in FLOOR_STAGES}
    pairs = [("startup", "startup"), ("TLS probe + browser launch", "browser launch"),
             ("browser (login, pages, p12, NSB, vault key)", "browser (login, pages)"),
             ("OCR (remainder after browsing)", "OCR (remainder after browsing)"), ("verification", None),
             ("manifest + folder", None), ("browser close", "browser close"), ("rendering (HTML + PDF)", None),
             ("exit", "exit")]
    for o, f in pairs:
        stages.rows.append([o, spread(ours_st[o]), spread(fl_st[f]) if f else "–"])
    stages.rows.append(["**total**", spread(walls), spread(fw["same"])])
    slowest = max(ours.STAGES, key=lambda k: median(ours_st[k]))
    ctx.cache["e2e_slowest"] = slowest
    r = median(walls) / median(fw["same"])
    browse = median(ours_st["browser (login, pages, p12, NSB, vault key)"]) / median(
        fl_st["browser (login, pages)"])
    sec = Section("e2e", "1. One appliance, end to end, against the floor", METHOD, [main, stages, _browser_parts(runs)],
                  measured=res["measured"])
    sec.goals.append((f"`bt-capture run` within {GOAL}× of the floor", r <= GOAL, f"{r:.2f}×"))
    parts = {k: median(x.total(p) for x in runs) for k, p in
             [("html", "render.html"), ("launch", "render.pdf_launch"), ("pdf", "render.pdf")]}
    sec.notes.append(f"Rendering: dossier.html {parts['html']:.2f} s, launching a second Chromium for the PDF "
                     f"{parts['launch']:.2f} s, dossier.pdf {parts['pdf']:.2f} s (medians).")
    sec.notes.append(f"Slowest stage: **{slowest}** ({median(ours_st[slowest]):.1f} s median). Browser stage alone: "
                     f"{browse:.2f}× the floor's (ours also extracts every value, masks secrets, exports the .p12 "
                     "and downloads the NSB and the vault key).")
    return sec


METHOD = """
The simulator runs as a subprocess (`bt-capture simulate --info-file …`), so its CPU is not counted as
ours, although it shares the two cores. **bt-capture**: `bt-capture run --json` on a one-appliance
inventory (`fixtures.inventory.write_inventory`, `nsb = "auto"`, i.e. the Backup API), started through
`bench/probe.py`, which wraps the runner's phases by monkeypatching (no timing code in the product) and
records wall-clock instants; the stages below are the intervals between them. **Floor**: `bench/floor.py`,
a bare Playwright script hard-coded for the simulator: it logs in to both interfaces (agreement,
password, TOTP), visits the page URLs our manifest recorded (both interfaces concurrently, as we do),
clicks "Show details" where we do, takes the same full-page screenshots at the same viewport, and
OCRs each in a forkserver process pool (one worker per core, `OMP_THREAD_LIMIT=1`) as soon as it is
written; no menus, extraction, masks, downloads, checks or dossier. Runs alternate (ours, floor, …)
after one unmeasured warm-up run; the wall time is from process launch to exit. RSS is summed over the
whole process tree (python, Playwright driver, Chromium, OCR workers) and overstates shared pages; PSS
does not.
"""
