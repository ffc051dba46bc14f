"""Benchmark 7: `bt-capture archive` on one busy day (500 sessions, 100 with 20 MB recordings) against curl."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fixtures.inventory import write_inventory
from suite.common import BTC, MB, Ctx, Section, SimProcess, Table, base_env, load_now, median, mib, run_proc, spread
from suite.curl import _fsync, _private, _q

GOAL = 0.9
CONCURRENCY = 3  # [archive] concurrency, the default


def _shape(ctx: Ctx) -> dict[str, int]:
    return ({"sessions": 40, "every": 5, "size": 1 * MB} if ctx.quick else
            {"sessions": 500, "every": 5, "size": 20 * MB})


def _union(spans: list[tuple[float, float]]) -> float:
    """Seconds during which at least one recording was being downloaded."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def ours(sim: SimProcess, work: Path) -> dict[str, Any]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    inv, env = write_inventory(sim.info, work, output=work / "out",
                               extra=f"\n[archive]\nfirst_days = 2\nconcurrency = {CONCURRENCY}\n")
    proc = run_proc([*BTC, "archive", "-i", str(inv), "--json"], env=base_env(env))
    site = json.loads(proc.stdout)["sites"][0]
    lines = [json.loads(x) for x in Path(site["log"]).read_text().splitlines()]
    recs = [x for x in lines if x["event"] == "saved"]
    spans = [(x["at"], x["at"] + x["seconds"]) for x in recs]
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    rss0, _ = proc.sampler.at(first)
    rss, _ = proc.sampler.peak(first, last)
    out = {"wall": proc.wall, "sessions": site["sessions"], "recordings": len(recs),
           "bytes": sum(x["bytes"] for x in recs), "busy": _union(spans), "rss0": rss0, "rss": rss,
           "retries": site["retries"], "files": site["files"], "lsids": sorted({x["lsid"] for x in recs})}
    shutil.rmtree(work / "out" / "archive", ignore_errors=True)
    return out


def curl(sim: SimProcess, work: Path, lsids: list[str], parallel: int) -> dict[str, Any]:
    """The same recordings with curl, `parallel` at a time, one token, then fsync each (as we do)."""
    info = sim.info
    a = info["appliances"][0]
    api = a["credentials"]["api"]
    u = urlsplit(a["base_url"])
    base = ["curl", "-sS", "--fail", "--resolve", f"{u.hostname}:{u.port}:{a['address']}", "--cacert", info["ca_path"]]
    conf = _private(work / "curl-token.conf", f"user = {_q(api['client_id'] + ':' + api['client_secret'])}\n"
                                              'data = "grant_type=client_credentials"\n')
    token = json.loads(run_proc([*base, "-K", str(conf), f"{a['base_url']}/oauth2/token"], sample=False).stdout)
    lines = [f"header = {_q('Authorization: Bearer ' + token['access_token'])}\n"]
    folder = work / "curl"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for lsid in lsids:
        lines.append(f"url = {_q(a['base_url'] + '/api/reporting?generate_report=SupportSessionRecording&lsid=' + lsid)}\n"
                     f"output = {_q(str(folder / (lsid + '.flv')))}\n")
    conf = _private(work / "curl-rec.conf", "".join(lines))
    extra = ["--parallel", "--parallel-max", str(parallel)] if parallel > 1 else []
    t0 = time.perf_counter()
    dl = run_proc([*base, *extra, "-K", str(conf)])
    wall = time.perf_counter() - t0
    sync = sum(_fsync(p) for p in folder.iterdir())
    size = sum(p.stat().st_size for p in folder.iterdir())
    shutil.rmtree(folder)
    conf.unlink()
    return {"wall": wall, "fsync": sync, "bytes": size, "rss": dl.peak_rss}


def section(ctx: Ctx) -> Section:
    measured = load_now()
    shape = _shape(ctx)
    work = ctx.folder("archive")
    args = ["--sessions-per-day", str(shape["sessions"]), "--session-days", "1", "--recording-every",
            str(shape["every"]), "--recording-size", str(shape["size"]), "--shell-every", "0", "--running-sessions",
            "0", "--expired-recordings", "0", "--no-agreement"]
    res: dict[str, list[dict[str, Any]]] = {"ours": [], "curl": [], "curl1": []}
    with SimProcess(work / "sim", *args) as sim:
        for _ in range(ctx.reps):
            res["ours"].append(ours(sim, work / "run"))
            lsids = res["ours"][-1]["lsids"]  # the same recordings, by the LSIDs bt-capture saved
            res["curl"].append(curl(sim, work, lsids, CONCURRENCY))
            res["curl1"].append(curl(sim, work, lsids, 1))
    o = res["ours"]
    n_rec, total = o[0]["recordings"], o[0]["bytes"]
    ours_mbs = [x["bytes"] / MB / x["busy"] for x in o]
    curl_mbs = [x["bytes"] / MB / x["wall"] for x in res["curl"]]
    curl_sync = [x["bytes"] / MB / (x["wall"] + x["fsync"]) for x in res["curl"]]
    seq_mbs = [x["bytes"] / MB / x["wall"] for x in res["curl1"]]
    r = median(ours_mbs) / median(curl_mbs)
    growth = median(x["rss"] - x["rss0"] for x in o)
    t = Table(f"One day: {o[0]['sessions']} sessions, {n_rec} recordings of {shape['size'] / MB:g} MiB "
              f"({total / MB:,.0f} MiB), median of {ctx.reps}",
              ["what", "bt-capture archive", f"curl, {CONCURRENCY} at a time", "curl, one at a time"])
    t.rows += [["recording bytes", spread(ours_mbs, "MB/s", 0), f"{spread(curl_mbs, 'MB/s', 0)} "
                f"({spread(curl_sync, 'MB/s', 0)} with fsync)", spread(seq_mbs, "MB/s", 0)],
               ["ratio to curl (same concurrency)", f"{r:.2f}×", "1.00×", f"{median(seq_mbs) / median(curl_mbs):.2f}×"],
               ["whole run (listings, session reports, recordings)", spread([x["wall"] for x in o]), "–", "–"],
               ["RSS before recordings → peak", f"{mib(median(x['rss0'] for x in o))} → {mib(median(x['rss'] for x in o))}",
                f"{mib(median(x['rss'] for x in res['curl']))} (peak)", "–"]]
    sec = Section("archive", "8. Session archive: one busy day against curl", METHOD, [t], measured=measured)
    sec.goals.append((f"recording bytes ≥ {GOAL}× curl, RSS flat", r >= GOAL and growth < 100 * MB,
                      f"{r:.2f}×, RSS +{growth / MB:.0f} MiB"))
    sec.notes.append(f"bt-capture also saved {o[0]['files'] - n_rec} session reports in the same run; "
                     f"retries: {', '.join(str(x['retries']) for x in o)}.")
    return sec


METHOD = """
`bt-capture simulate --sessions-per-day 500 --session-days 1 --recording-every 5 --recording-size 20971520`
serves one day of 500 support sessions, 100 of them with a 20 MiB screen recording (no command shells,
none running, none aged out), from its own process. **bt-capture**: `bt-capture archive --json` with
the default `concurrency = 3` lists the day, saves 500 session reports and the 100 recordings (streamed
to a temporary file with SHA-256, fsynced, renamed); its run log times every recording, and the
throughput is the recording bytes over the seconds during which at least one recording was in flight.
Memory is the process's RSS sampled every 0.2 s, from just before the first recording to the end of
the last. **curl** then fetches the same 100 recording URLs with one Bearer token (`-K` config file,
`--resolve`, `--cacert`), three at a time (`--parallel --parallel-max 3`, as many connections as ours)
and one at a time; curl does not fsync, so that time is shown separately. Runs alternate.
"""
