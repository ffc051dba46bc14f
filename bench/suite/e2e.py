"""Benchmark 1: one appliance end to end (`bt-capture run`) against the floor (bench/floor.py), stage by stage."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from capture.ocr import PSM, SCALE
from suite import ours
from suite.common import BENCH, PY, Ctx, Section, SimProcess, Table, base_env, load_now, median, mib, ratio
from suite.common import run_proc, spread
from suite.sampler import KINDS

GOAL = 1.2  # one appliance end to end, against the floor (issue 21)
OCR_GOAL = 1.0  # the OCR stage, against the floor's OCR stage with the same settings
BROWSE = "browser (login, pages, p12, NSB, vault key)"
FLOOR_STAGES = ["startup", "browser launch", "browser (login, pages)", "browser close",
                "OCR (remainder after browsing)", "exit"]
# floor variants: (OCR mode, pass-through route); the first one present is the reference
VARIANTS = {"same": ("same", False), "lib": ("lib", False), "plain": ("plain", False), "none": ("none", False), "route": ("none", True)}
LABELS = {"same": f"floor: bare Playwright + tesseract with bt-capture's settings (grey, {SCALE}× upscale, psm {PSM})",
          "lib": "floor: the same, reading with libtesseract loaded once per worker (tesserocr), as bt-capture does",
          "plain": "floor: bare Playwright + tesseract defaults on the raw PNG",
          "route": "floor without OCR + a pass-through `context.route(\"**/*\")`, as the read-only guard's",
          "none": "floor without OCR (--quick; compare with `bt-capture run --no-ocr`)"}


def floor_run(sim: SimProcess, urls: list[str], work: Path, variant: str) -> dict[str, Any]:
    mode, route = VARIANTS[variant]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "urls.json").write_text(json.dumps(urls))
    timings = work / "timings.json"
    proc = run_proc([PY, str(BENCH / "floor.py"), str(sim.info_file), str(work / "urls.json"), str(work / "shots"),
                     str(timings), "--ocr", mode, *(["--route"] if route else [])], env=base_env(),
                    also=[sim.proc.pid])
    t = json.loads(timings.read_text())
    if t["pages"] != len(urls):
        raise RuntimeError(f"the floor took {t['pages']} screenshots, not {len(urls)}")
    marks = [proc.started, t["started"], t["launched"], t["browsed"], t["closed"], t["ocr_done"],
             proc.started + proc.wall]
    t["stages"] = {name: max(0.0, b - a) for name, a, b in zip(FLOOR_STAGES, marks, marks[1:])}
    t["wall"], t["peak_rss"], t["peak_pss"] = proc.wall, proc.peak_rss, proc.peak_pss
    t["cpu_browse"] = proc.sampler.cpu_between(t["launched"], t["browsed"])
    return t


def page_urls(run: ours.Run) -> list[str]:
    return [p["url"] for p in run.pages() if p["status"] == "ok" and p.get("screenshot")]


def measure(ctx: Ctx) -> dict[str, Any]:
    """Our runs and the floor's, interleaved (ours, floor, ours, floor…) so load changes hit both alike."""
    if "e2e" in ctx.cache:
        return ctx.cache["e2e"]
    work = ctx.folder("e2e")
    variants = ["none"] if ctx.quick else ["same", "lib", "plain"]
    args = ["--no-ocr"] if ctx.quick else []  # --quick keeps the smoke run short; OCR has its own benchmark
    res: dict[str, Any] = {"ours": [], "floor": {v: [] for v in variants}, "measured": load_now()}
    sim = ctx.simulator()
    env = {}
    if ctx.quick:  # one run only: it doubles as the profiled run (its numbers mean nothing in --quick anyway)
        ctx.cache["run_profile"] = env["BTB_PROFILE"] = str(work / "run.pyisession")
    first = ours.capture(sim, work / "ours", env_extra=env, args=args)
    urls = page_urls(first)
    if ctx.quick:
        res["ours"].append(first)  # one repetition; otherwise the first run only warms the caches
    for _ in range(ctx.reps):
        for v in variants:
            res["floor"][v].append(floor_run(sim, urls, work / f"floor-{v}", v))
        if len(res["ours"]) < ctx.reps:
            res["ours"].append(ours.capture(sim, work / f"ours-{len(res['ours'])}", args=args))
    res["urls"], res["last"] = urls, res["ours"][-1]
    ctx.cache["e2e"] = res
    return res


def _browser_parts(runs: list[ours.Run]) -> Table:
    t = Table("Inside bt-capture's browser stage (median seconds, summed over calls; the two interfaces run "
              "concurrently, so the parts add up to more than the stage)", ["part", "seconds", "calls"])
    last = runs[-1]
    name = next(e["what"].split(":")[1] for e in last.events("appliance:"))
    for label, prefix in [("/appliance interface (login → logout)", f"interface:{name}:appliance"),
                          ("/login interface (login → logout)", f"interface:{name}:login"),
                          ("logins (agreement, password, TOTP)", "login:"),
                          ("page captures", "page:"),
                          ("· reaching the page by its menu (clicks, loads, landmark wait)", "page.reach:"),
                          ("· opening \"Show details\" toggles", "page.expand:"),
                          ("· reading every value (extraction JS)", "page.read:"),
                          ("· full-page screenshot with masks + PNG write", "page.screenshot:"),
                          ("certificate export (.p12, incl. its page)", f"action:{name}:appliance.certificate"),
                          ("NSB backup (Backup API)", f"action:{name}:login.backup"),
                          ("Vault encryption key", f"action:{name}:login.vault_key")]:
        t.rows.append([label, spread([r.total(prefix) for r in runs]), len(last.events(prefix))])
    ocr = [s for r in runs for s in r.ocr_seconds()]
    t.rows.append(["OCR per screenshot, in a worker (manifest)", f"{median(ocr):.2f} s", len(ocr) // len(runs)])
    return t


def _cpu_table(runs: list[ours.Run], floors: list[dict[str, Any]]) -> Table:
    t = Table("CPU seconds used during the browser stage, by process (median; 2 cores, so 1 s of wall time offers "
              "2 CPU seconds)", ["process", "bt-capture", "floor"])
    ours_cpu = [r.proc.sampler.cpu_between(r.first("browser.start")["end"], _browse_end(r)) for r in runs]
    for k in KINDS:
        a, b = median(c[k] for c in ours_cpu), median(f["cpu_browse"][k] for f in floors)
        if a or b:
            t.rows.append([k, f"{a:.1f}", f"{b:.1f}"])
    t.rows.append(["**wall time of the stage**", f"{median(r.stages()[BROWSE] for r in runs):.1f}",
                   f"{median(f['stages']['browser (login, pages)'] for f in floors):.1f}"])
    return t


def _browse_end(r: ours.Run) -> float:
    return max(e["end"] for e in r.events("interface:"))


def section(ctx: Ctx) -> Section:
    res = measure(ctx)
    runs: list[ours.Run] = res["ours"]
    floors: dict[str, list[dict[str, Any]]] = res["floor"]
    ref = next(iter(floors))
    walls = [r.proc.wall for r in runs]
    fw = {v: [f["wall"] for f in fs] for v, fs in floors.items()}
    main = Table(f"One appliance end to end, {len(res['urls'])} pages (median of {len(runs)} run(s), range in "
                 "brackets)", ["run", "wall", "peak RSS / PSS of the process tree", "ratio to the floor"])
    mem = lambda rss, pss: f"{mib(median(rss))} / {mib(median(pss))}"  # noqa: E731
    what = ("`bt-capture run --no-ocr` (--quick)" if ctx.quick else
            "`bt-capture run`: login, every page, p12, NSB (API), vault key, OCR, verification, dossier HTML + PDF")
    main.rows.append([what, spread(walls), mem([r.proc.peak_rss for r in runs], [r.proc.peak_pss for r in runs]),
                      ratio(median(walls), median(fw[ref]))])
    for v, fs in floors.items():
        main.rows.append([LABELS[v], spread(fw[v]), mem([f["peak_rss"] for f in fs], [f["peak_pss"] for f in fs]),
                          ratio(median(fw[v]), median(fw[ref]))])
    stages = Table("Where the wall time goes (median seconds per stage; the stages follow each other and add up to "
                   "the wall time)", ["stage", "bt-capture", f"floor ({ref} OCR)"])
    ours_st = {k: [r.stages()[k] for r in runs] for k in ours.STAGES}
    fl_st = {k: [f["stages"][k] for f in floors[ref]] for k in FLOOR_STAGES}
    pairs = dict(zip(["startup", "TLS probe + browser launch", BROWSE, "OCR (remainder after browsing)"],
                     ["startup", "browser launch", "browser (login, pages)", "OCR (remainder after browsing)"]))
    pairs.update({"browser close": "browser close", "exit": "exit"})
    for k in ours.STAGES:
        if k == "peer diff":
            continue  # one appliance: no peer
        stages.rows.append([k, spread(ours_st[k]), spread(fl_st[pairs[k]]) if k in pairs else "–"])
    stages.rows.append(["**total**", spread(walls), spread(fw[ref])])
    slowest = max(ours.STAGES, key=lambda k: median(ours_st[k]))
    ctx.cache["e2e_slowest"] = slowest
    r = median(walls) / median(fw[ref])
    sec = Section("e2e", "1. One appliance, end to end, against the floor", METHOD,
                  [main, stages, _browser_parts(runs), _cpu_table(runs, floors[ref])], measured=res["measured"])
    sec.goals.append((f"`bt-capture run` within {GOAL}× of the floor", r <= GOAL, f"{r:.2f}×"))
    ocr_k = "OCR (remainder after browsing)"
    if ocr_k in ours_st and ocr_k in fl_st and median(fl_st[ocr_k]) > 0:
        o = median(ours_st[ocr_k]) / median(fl_st[ocr_k])
        sec.goals.append((f"OCR stage within {OCR_GOAL}× of the floor's OCR stage", o <= OCR_GOAL,
                          f"{o:.2f}× ({spread(ours_st[ocr_k])} vs {spread(fl_st[ocr_k])})"))
        if "lib" in floors:
            lib = median(f["stages"]["OCR (remainder after browsing)"] for f in floors["lib"])
            sec.notes.append(f"Most of the OCR gain is the engine binding: the floor reading the same way as bt-capture "
                             f"(libtesseract loaded once per worker) has an OCR stage of {lib:.2f} s, and ours is "
                             f"{median(ours_st[ocr_k]) / lib:.2f}× that, with bt-capture's pre-processing, re-reads of "
                             "unsure words and of values the page pass missed, and the pixel check for secrets.")
    parts = {k: median(x.total(p) for x in runs) for k, p in
             [("html", "render.html"), ("launch", "render.pdf_launch"), ("pdf", "render.pdf")]}
    browse = median(ours_st[BROWSE]) / median(fl_st["browser (login, pages)"])
    sec.notes.append(f"Slowest stage: **{slowest}** ({median(ours_st[slowest]):.1f} s median). The browser stage "
                     f"alone is {browse:.2f}× the floor's; ours also clicks through the menus, extracts and masks "
                     "every value, exports the .p12 and downloads the NSB and the vault key.")
    sec.notes.append(f"Rendering: dossier.html {parts['html']:.2f} s, a print context in the capture's Chromium "
                     f"{parts['launch']:.2f} s, dossier.pdf {parts['pdf']:.2f} s (medians). The capture's Chromium "
                     "stays up for the dossiers; a second Chromium for them took ~0.45 s to launch. (Launching that "
                     "one during the capture was tried earlier: no faster on 2 cores, and 600 MiB more peak RSS.)")
    if not ctx.quick:
        sec.tables.append(route_cost(ctx, res["urls"]))
    return sec


def route_cost(ctx: Ctx, urls: list[str]) -> Table:
    """Playwright request routing on its own: the floor's browser stage with and without it (why the guard left it)."""
    t = Table("What routing every request costs: the floor's browser stage (no OCR) without and with a pass-through "
              "`context.route(\"**/*\")`, as the read-only guard had until it moved to DevTools `Fetch` at the "
              "browser level, which pauses only documents, XHR and the like (median)",
              ["latency per request", "floor", "floor + route", "ratio"])
    for latency in (0, 150):
        sim = ctx.simulator(*(["--latency-ms", str(latency)] if latency else []))
        runs: dict[str, list[float]] = {"none": [], "route": []}
        for _ in range(ctx.reps):
            for v in runs:
                f = floor_run(sim, _rebase(urls, sim.info), ctx.folder("e2e") / f"route-{v}", v)
                runs[v].append(f["stages"]["browser (login, pages)"])
        t.rows.append([f"{latency} ms", spread(runs["none"]), spread(runs["route"]),
                       ratio(median(runs["route"]), median(runs["none"]))])
    return t


def _rebase(urls: list[str], info: dict[str, Any]) -> list[str]:
    """The same pages on another simulator (its own port)."""
    from urllib.parse import urlsplit

    base = info["appliances"][0]["base_url"]
    return [base + urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]


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
does not. CPU seconds per process come from the same 0.2 s sampling (psutil `cpu_times`), the
simulator's process included. The last table isolates what the read-only guard's routing costs: the
floor without OCR, with and without a pass-through `context.route("**/*")`, on the simulator with 0 and
with 150 ms latency per request.
"""
