"""`bt-capture archive` against the simulator: first run, nothing twice, new sessions only, faults, kill and resume."""
from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from archtools import ROOT, archive, expected_files, inventory, on_disk, recording_hashes, reporting_actions
from fixtures import Faults, SimOptions, Simulator

pytestmark = pytest.mark.xdist_group("archive")
SIZE = 96 * 1024


@pytest.fixture(scope="module")
def sim_archive() -> Iterator[Simulator]:
    sim = Simulator(SimOptions(sessions_per_day=6, session_days=2, recording_size=SIZE, agreement=False)).start()
    try:
        yield sim
    finally:
        sim.stop()


def _site_root(inv: Path) -> Path:
    return inv.parent / "out" / "archive"


def _check_complete(sim: Simulator, root: Path) -> dict[tuple[str, str], str]:
    """Every closed session's report and recordings are on disk once, hashed as the simulator sent them."""
    files = on_disk(root)
    sent = recording_hashes(sim)
    for lsid, want in expected_files(sim).items():
        names = {n for (l, n) in files if l == lsid}
        exts = {n.rsplit(".", 1)[0] for n in names}
        assert exts == {n for n, ok in want.items() if ok}, (lsid, names, want)
        for n in names:
            base = n.rsplit(".", 1)[0]
            if base != "session":
                assert n == f"{base}.flv" and files[(lsid, n)] == sent[(lsid, base)], (lsid, n)
    running = [s.lsid for s in sim.sessions().sessions if s.end is None]
    assert not [k for k in files if k[0] in running]  # a running session has no files yet
    return files


def test_first_run_second_run_and_new_sessions(sim_archive: Simulator, tmp_path: Path, clean: None) -> None:
    sim = sim_archive
    inv, env = inventory(sim, tmp_path)
    root = _site_root(inv)
    code, out, err = archive(inv, env)
    assert code == 0, err
    site = out["sites"][0]
    closed = [s for s in sim.sessions().sessions if s.end is not None]
    assert site["sessions"] == len(closed) == 11 and site["running"] == 1 and site["aged_out"] == 1, site
    first = _check_complete(sim, root)
    assert len(first) == site["files"]
    for p in [root, *root.rglob("*")]:  # folders 0700, files 0600
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), p
    # Read-only: the token endpoint and /api/reporting, nothing else.
    assert {e["path"].split("?")[0] for e in sim.events("all")} == {"/oauth2/token", "/api/reporting"}

    before = len(reporting_actions(sim))
    code, out, err = archive(inv, env)
    assert code == 0, err
    again = reporting_actions(sim)[before:]
    assert "reporting.recording" not in again and out["sites"][0]["files"] == 0
    running = [s.lsid for s in sim.sessions().sessions if s.end is None]
    details = [e for e in sim.events("view")[-len(again):] if e["action"] == "reporting.SupportSession"]
    assert [e["path"].rsplit("lsid=", 1)[1] for e in details] == running  # only the running one is asked again
    assert on_disk(root) == first

    new = sim.sessions().add(3)
    sim.sessions().finish_running()
    before = len(sim.events("download"))
    code, out, err = archive(inv, env)
    assert code == 0, err
    fetched = {e["detail"]["lsid"] for e in sim.events("download")[before:] if e["action"] == "reporting.recording"}
    assert fetched <= {s.lsid for s in new} | set(running)
    assert out["sites"][0]["sessions"] == 4
    after = _check_complete(sim, root)
    assert {k: v for k, v in after.items() if k in first} == first
    assert {k[0] for k in set(after) - set(first)} <= {s.lsid for s in new} | set(running)

    code, listing, err = archive(inv, env, "search", "-i", str(inv), "--person", "maria lopez", "--json")
    assert code == 0, err
    assert listing and all("Maria Lopez" in r["primary_rep"] or "Maria" in r["reps"] for r in listing)
    code, ver, err = archive(inv, env, "verify", "-i", str(inv), "--json")
    assert code == 0 and ver["ok"] and {r["verdict"] for r in ver["files"]} == {"ok", "aged_out"}, err
    state = json.loads((root / "support.example.test" / "state.json").read_text())
    mark = state["watermarks"]["SupportSession"]["time"]
    assert mark <= time.time() - 290 and state["watermarks"]["SupportSession"]["last_session"]["lsid"]
    summary = json.loads((inv.parent / "out" / "archive-summary.json").read_text())
    assert summary["sites"][0]["sessions"]["complete"] == 15


def test_429_and_a_token_expiring_mid_run_are_retried_and_logged(sim_archive: Simulator, tmp_path: Path,
                                                                  clean: None) -> None:
    sim_archive.set_faults(Faults(reporting_429_every=6, reporting_retry_after=1, expire_token_after=5, cut_recordings=2))
    inv, env = inventory(sim_archive, tmp_path)
    code, out, err = archive(inv, env, "-v")
    assert code == 0, err
    actions = reporting_actions(sim_archive)
    assert actions.count("reporting.429") >= 3 and actions.count("reporting.401") >= 3
    _check_complete(sim_archive, _site_root(inv))
    lines = [json.loads(x) for x in Path(out["sites"][0]["log"]).read_text().splitlines()]
    whys = [x["why"] for x in lines if x["event"] == "retry"]
    assert len(whys) == out["sites"][0]["retries"] >= 8
    assert any("HTTP 429" in w and "Retry-After" in w for w in whys) and any("HTTP 401" in w for w in whys)
    assert sum("connection dropped" in w or "truncated" in w for w in whys) >= 2  # two cut recordings, redone
    assert not list(_site_root(inv).rglob(".*.part"))
    # Secret sweep: the archive, the catalog, the run logs, the summary and what the command printed.
    needles = [b"CANARY", *(v.encode() for v in env.values())]
    for p in (inv.parent / "out").rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert not [n for n in needles if n in data], p
    assert "CANARY" not in err and "CANARY" not in json.dumps(out)


@pytest.mark.parametrize("empty,ns,lang", [("error", "sra", "en"), ("empty", "bomgar", "fr"), ("error", "docs", "fr"),
                                           ("empty", "docs", "en")])
def test_both_empty_listings_and_namespaces(sim_archive: Simulator, tmp_path: Path, clean: None, empty: str, ns: str,
                                            lang: str) -> None:
    sim_archive.set_reporting(empty_listing=empty, report_namespace=ns, report_language=lang)
    inv, env = inventory(sim_archive, tmp_path)
    code, out, err = archive(inv, env, "--since", time.strftime("%Y-%m-%d", time.gmtime(time.time() - 5 * 86400)))
    assert code == 0, err
    assert out["sites"][0]["sessions"] == 11 and out["sites"][0]["aged_out"] == 1
    _check_complete(sim_archive, _site_root(inv))
    variants = [e["detail"]["variant"] for e in sim_archive.events("view") if e["action"] == "reporting.no_data"]
    assert variants and set(variants) == {empty}  # the windows 3 to 5 days back are empty


def test_kill_in_the_middle_of_a_recording_then_resume(sim_archive: Simulator, tmp_path: Path, clean: None) -> None:
    sim_archive.set_faults(Faults(slow_recording_kbps=200))  # 96 KiB take about 4 s
    inv, env = inventory(sim_archive, tmp_path)
    root = _site_root(inv)
    proc = subprocess.Popen([sys.executable, "-m", "capture.cli", "archive", "-i", str(inv), "-q"], cwd=ROOT,
                            env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    part = None
    while time.monotonic() < deadline and part is None:
        part = next((p for p in root.rglob(".recording.*.part") if p.stat().st_size > 8192), None)
        time.sleep(0.05)
    assert part is not None, proc.communicate(timeout=5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    lsid = part.parent.name
    assert not (part.parent / "recording.flv").exists()  # nothing that looks complete
    sim_archive.set_faults(Faults())
    code, out, err = archive(inv, env)
    assert code == 0, err
    files = _check_complete(sim_archive, root)
    assert (lsid, "recording.flv") in files and not list(root.rglob("*.part"))
    code, ver, err = archive(inv, env, "verify", "-i", str(inv), "--json")
    assert code == 0 and ver["ok"], ver
    paths = [r["path"] for r in ver["files"]]
    assert len(paths) == len(set(paths)) and not [r for r in ver["files"] if r["verdict"] == "not in the catalog"]
    # verify can fail: a changed byte, a missing file and a stray file are each named
    rec = part.parent / "recording.flv"
    data = bytearray(rec.read_bytes())
    data[-1] ^= 1
    rec.write_bytes(bytes(data))
    (part.parent / "session.xml").unlink()
    (part.parent / "stray.flv").write_bytes(b"FLV")
    code, ver, err = archive(inv, env, "verify", "-i", str(inv), "--json")
    verdicts = {r["name"]: r["verdict"] for r in ver["files"] if r["lsid"] == lsid}
    assert code == 1 and not ver["ok"]
    assert verdicts["recording"] == "hash differs" and verdicts["session"] == "missing"
    assert verdicts["stray.flv"] == "not in the catalog"


def test_prune_keeps_the_catalog_and_downloads_nothing_again(sim_archive: Simulator, tmp_path: Path,
                                                             clean: None) -> None:
    inv, env = inventory(sim_archive, tmp_path)
    root = _site_root(inv)
    assert archive(inv, env)[0] == 0
    before = len(sim_archive.events("download"))
    code, out, err = archive(inv, env, "--prune-older-than", "1")
    assert code == 0, err
    assert len(sim_archive.events("download")) == before and out["pruned"] > 0
    cutoff = time.strftime("%Y/%m/%d", time.gmtime(time.time() - 86400))
    left = ["/".join(p.relative_to(root).parts[1:4]) for p in root.glob("*/*/*/*/*/*")]
    assert left and min(left) >= cutoff
    code, ver, err = archive(inv, env, "verify", "-i", str(inv), "--json")
    assert code == 0 and sum(r["verdict"] == "pruned" for r in ver["files"]) == out["pruned"]
    code, found, err = archive(inv, env, "search", "-i", str(inv), "--json")
    assert code == 0 and len(found) == 12  # 11 archived and 1 running: pruned ones stay listed
    # The binder shows the archive's summary per site (it reads archive-summary.json, not the catalog).
    from reports import binder, binder_scan

    page = binder.render_html(binder_scan.scan(inv.parent / "out"), inv.parent / "out").read_text()
    section = page.split('id="archive"', 1)[1].split("</table>", 1)[0]
    row = re.sub(r"<[^>]+>", " ", section.split("support.example.test", 1)[1])
    assert row.split()[:1] == ["11"] and "1 still running" in row
    assert f"1 · {out['pruned']} ·" in " ".join(row.split())  # aged out · pruned · failed
