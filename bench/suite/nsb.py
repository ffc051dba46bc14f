"""Benchmark 5: large NSB backups through the Backup API and the UI download, against curl, with peak memory."""
from __future__ import annotations

import shutil
from typing import Any

from suite import curl, ours
from suite.common import MB, Ctx, Section, Table, SimProcess, load_now, median, mib, spread

GIB = 1024 ** 3
GOAL = 0.9
RSS_GROWTH = 50 * 1024 * 1024  # bytes the process tree may grow by while it streams the file
ROUTES = {"api": "artifacts/login-backup-api.nsb", "ui": "artifacts/login-backup-ui.nsb"}


def sizes(ctx: Ctx, notes: list[str]) -> list[int]:
    want = [16 * MB] if ctx.quick else [GIB, 4 * GIB]
    free = shutil.disk_usage(ctx.work).free
    out = []
    for s in want:
        need = 3 * s + 2 * GIB  # both routes' files in the snapshot, curl's copy, and room to spare
        while need > free and s > 64 * MB:
            s //= 2
            need = 3 * s + 2 * GIB
        if s not in want:
            notes.append(f"only {free / GIB:.1f} GiB free on {ctx.work}: measured {s / GIB:.2f} GiB instead")
        out.append(s)
    return list(dict.fromkeys(out))


def ours_numbers(run: ours.Run, route: str) -> dict[str, float]:
    ev = run.events("download:")
    dl = next(e for e in ev if e["what"].endswith(ROUTES[route]))
    action = next(e for e in run.events("action:") if e["what"].endswith(f"login.backup.{route}"))
    rss0, pss0 = run.proc.sampler.at(dl["start"])
    rss, pss = run.proc.sampler.peak(dl["start"], dl["end"])
    return {"download": dl["end"] - dl["start"], "action": action["end"] - action["start"], "rss0": rss0, "rss": rss,
            "pss0": pss0, "pss": pss}


def measure(ctx: Ctx, size: int, notes: list[str]) -> dict[str, Any]:
    work = ctx.folder(f"nsb/{size}")
    res: dict[str, list[dict[str, float]]] = {"api": [], "ui": [], "curl-api": [], "curl-ui": []}
    with SimProcess(work / "sim", "--nsb-size", str(size), "--no-agreement") as sim:
        for _ in range(ctx.reps):
            run = ours.capture(sim, work / "run", nsb="both", certificate=False, vault_key=False,
                               args=["--no-ocr", "--no-render"], keep=False)
            for route in ("api", "ui"):
                res[route].append(ours_numbers(run, route))
            password = "bench-" + "x" * 12  # what bt-capture sends is a secret of its own; any password costs the same
            res["curl-api"].append(curl.api_download(sim.info, work, password))
            res["curl-ui"].append(curl.ui_download(sim.info, work, password))
            assert res["curl-api"][-1]["size"] == size and res["curl-ui"][-1]["size"] == size
    return res


def section(ctx: Ctx) -> Section:
    measured = load_now()
    notes: list[str] = []
    t = Table("Large NSB backups: download throughput against curl on the same URL (median)",
              ["size", "route", "bt-capture", "curl", "curl + fsync", "ratio to curl (to curl + fsync)",
               "tree RSS before → peak (PSS)"])
    goals = []
    for size in sizes(ctx, notes):
        res = measure(ctx, size, notes)
        for route in ("api", "ui"):
            o, c = res[route], res[f"curl-{route}"]
            ours_mbs = [size / MB / x["download"] for x in o]
            curl_mbs = [size / MB / x["download"] for x in c]
            synced = [size / MB / (x["download"] + x["fsync"]) for x in c]
            r = median(ours_mbs) / median(curl_mbs)
            mem = (f"{mib(median(x['rss0'] for x in o))} → {mib(median(x['rss'] for x in o))} "
                   f"({mib(median(x['pss0'] for x in o))} → {mib(median(x['pss'] for x in o))})")
            t.rows.append([_size(size), "Backup API" if route == "api" else "UI: Download Backup",
                           spread(ours_mbs, "MB/s", 0), spread(curl_mbs, "MB/s", 0), spread(synced, "MB/s", 0),
                           f"{r:.2f}× ({median(ours_mbs) / median(synced):.2f}×)", mem])
            growth = median(x["rss"] - x["rss0"] for x in o)
            goals.append((f"{_size(size)} {route.upper()}: ≥ {GOAL}× curl, RSS growth < {RSS_GROWTH // MB} MiB",
                          r >= GOAL and growth < RSS_GROWTH,
                          f"{r:.2f}×, RSS +{growth / MB:.0f} MiB"))
        api_token = median(x["token"] for x in res["curl-api"])
        notes.append(f"{_size(size)}: curl's token request took {api_token:.2f} s (not in its download time); "
                     f"bt-capture's whole Backup API step (token + download + fsync) took "
                     f"{spread([x['action'] for x in res['api']])}.")
    sec = Section("nsb", "5. Large NSB backups against curl", METHOD, [t], notes=notes, measured=measured)
    sec.goals += goals
    return sec


def _size(n: int) -> str:
    return f"{n / GIB:g} GiB" if n >= GIB else f"{n / MB:g} MiB"


METHOD = """
`bt-capture simulate --nsb-size S` streams a fresh S-byte backup per request (≈ the simulator's own
ceiling, one core). One `bt-capture run --no-ocr --no-render` with `nsb = "both"` (no certificate, no
vault key) downloads it through the Backup API (aiohttp, streamed to disk with SHA-256) and then with
the Download Backup button (Chromium's download, moved into the snapshot); `bench/probe.py` times each
download from request to file in place (fsync included), and memory is the whole process tree's
(python + driver + Chromium) sampled during that download against just before it. **curl** gets the
same URLs: for the API a token (`-u id:secret -d grant_type=client_credentials`), then `curl -o` with
the Bearer token and the same JSON body (`--resolve host:port:addr --cacert ca.pem`); for the UI, a
Playwright login exports the session cookie and the Download Backup form (CSRF token, passwords), and
curl posts it. Secrets reach curl through a 0600 `-K` config file. The files are deleted after every
run; the free disk space is checked first and the size halved (with a note) when short.
"""
