"""A fleet at once: faults alone and combined across appliances, resume after Ctrl-C, and a canary sweep of everything."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from captools import secrets_of, sweep
from fixtures import Faults, SimOptions, Simulator
from fixtures.inventory import write_inventory

pytestmark = pytest.mark.xdist_group("fleet")
BT = [sys.executable, "-m", "capture.cli"]


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BTC_")} | extra


def bt(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(BT + args, env=_env(env), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def pdf_text(root: Path) -> str:
    return "\n".join(subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True,
                                    check=True).stdout for p in root.rglob("*.pdf"))


@pytest.fixture(scope="module")
def fleet() -> Iterator[Simulator]:
    s = Simulator(SimOptions(count=3, nsb_size=256 * 1024)).start()
    yield s
    s.stop()


def test_full_fleet_run_leaks_nothing(fleet: Simulator, tmp_path: Path) -> None:
    inv, env = write_inventory(fleet.info(), tmp_path, nsb="both", jobs=2)
    p = bt(["run", "-i", str(inv), "-v", "--json"], env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    result = json.loads(p.stdout)
    assert len(result["appliances"]) == 3 and all(a["dossier"] for a in result["appliances"])
    assert result["binder"] and Path(result["binder"]).exists()
    out = tmp_path / "out"
    assert len(list(out.rglob("dossier.pdf"))) == 3
    secrets = secrets_of(fleet, env)
    leaks = sweep(out, secrets)
    text = pdf_text(out)
    leaks += [f"PDF text: {s[:6]}…" for s in secrets if s in text]
    leaks += [f"stdout/stderr: {s[:6]}…" for s in secrets if s in p.stdout + p.stderr]
    assert leaks == []
    assert fleet.events(kind="destructive") == []


def test_spare_tabs_help_the_last_appliance_and_change_nothing(fleet: Simulator, tmp_path: Path) -> None:
    """One appliance at --jobs 2 leaves two tabs spare: second tabs take pages off the end of its
    interfaces' queues. The snapshot has the same pages, in the same order, as a run with one tab each."""
    snaps = {}
    for jobs in (1, 2):
        inv, env = write_inventory(fleet.info(), tmp_path / f"j{jobs}", nsb="api", jobs=jobs, names=["bt02"])
        seen = len(fleet.events(kind="all"))
        p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render", "--json"], env)
        events = [e for e in fleet.events(kind="all")[seen:] if e["appliance"] == "bt02" and e["interface"] == "appliance"]
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        folder = Path(json.loads(p.stdout)["appliances"][0]["folder"])
        snaps[jobs] = json.loads((folder / "manifest.json").read_text())
        assert sweep(tmp_path / f"j{jobs}" / "out", secrets_of(fleet, env)) == []
    # No second tab loaded a page while the session's tab was between the Certificates page and its export.
    export = next(i for i, e in enumerate(events) if e["action"] == "certificates.export")
    start = max(i for i, e in enumerate(events[:export]) if e["kind"] == "view" and e["path"].rstrip("/").endswith("/certificates"))
    between = [e["path"] for e in events[start + 1:export] if e["kind"] == "view"]
    assert all("/certificates" in path for path in between), between
    one, two = snaps[1], snaps[2]
    helped = [line for line in two["log"] if "opened a second tab, which captured" in line]
    assert helped and not [line for line in one["log"] if "second tab" in line]
    assert not any("second tab stopped" in line for line in two["log"])
    assert [(p["flow"], p["status"]) for p in two["pages"]] == [(p["flow"], p["status"]) for p in one["pages"]]
    assert all(p["status"] == "ok" and p["screenshot"] for p in two["pages"])
    for a, b in zip(one["pages"], two["pages"]):
        labels = lambda rec: [(s["title"], [f["label"] for f in s["fields"]]) for s in rec["sections"]]  # noqa: E731
        assert labels(a) == labels(b), a["flow"]
    assert not two["failures"] and sorted(a["kind"] for a in two["artifacts"]) == sorted(a["kind"] for a in one["artifacts"])
    assert fleet.events(kind="destructive") == []


COMBOS = [
    pytest.param(Faults(reject_logins="appliance", http500_page="SNMP"), id="login+500"),
    pytest.param(Faults(truncate_nsb=True, hang_page="Failover"), id="truncate+hang"),
    pytest.param(Faults(api_error_200=True, expire_session_after=9), id="api200+expiry"),
]


@pytest.mark.parametrize("faults", COMBOS)
def test_combined_faults_across_a_fleet(fleet: Simulator, tmp_path: Path, faults: Faults) -> None:
    fleet.set_faults(faults)
    try:
        inv, env = write_inventory(fleet.info(), tmp_path, nsb="both", jobs=3, page_timeout=6.0, names=["bt01", "bt02"])
        p = bt(["run", "-i", str(inv), "--no-ocr", "--json"], env)
    finally:
        fleet.reset()
    assert p.returncode == 1, p.stdout[-2000:] + p.stderr[-2000:]
    result = json.loads(p.stdout)
    out = tmp_path / "out"
    assert not list(out.rglob("*.part")) and not list(out.rglob(".*.partial"))
    for row in result["appliances"]:
        snap = json.loads((Path(row["folder"]) / "manifest.json").read_text())
        failed = {f["step"] for f in snap["failures"]}
        html = (Path(row["folder"]) / "dossier.html").read_text()
        assert row["problems"], row
        for step in failed - {"read-only guard"}:
            assert step in html or step.split(".")[-1] in html, step  # named in the dossier
        ok = {pg["flow"] for pg in snap["pages"] if pg["status"] == "ok"}
        if faults.reject_logins:
            assert any(f["kind"] == "login" for f in snap["failures"])
            assert "login.management.software" in ok
        if faults.http500_page or faults.hang_page:
            assert "appliance.security.email_configuration" in ok or faults.reject_logins
        if faults.truncate_nsb:
            assert not [a for a in snap["artifacts"] if a["kind"] == "nsb"]
            assert [a for a in snap["artifacts"] if a["kind"] == "p12"]
        if faults.api_error_200:
            assert [a["obtained"] for a in snap["artifacts"] if a["kind"] == "nsb"] == ["ui"]
        # Everything not hit by a fault is complete and verified.
        assert all(a["verification"]["verdict"] in ("pass", "warn") for a in snap["artifacts"])
    assert sweep(out, secrets_of(fleet, env)) == []


def test_resume_after_ctrl_c_keeps_what_verifies(fleet: Simulator, tmp_path: Path) -> None:
    inv, env = write_inventory(fleet.info(), tmp_path, nsb="ui", names=["bt01"])
    proc = subprocess.Popen(BT + ["run", "-i", str(inv), "--no-ocr", "--no-render"], env=_env(env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out = tmp_path / "out"
    deadline = time.monotonic() + 90
    while len(list(out.glob(".*.partial/pages/*.png"))) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    shots = {p.name: p.stat().st_mtime_ns for p in out.glob(".*.partial/pages/*.png")}
    assert shots
    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render", "--resume", "--json"], env)
    assert p.returncode == 0, p.stdout + p.stderr
    folder = Path(json.loads(p.stdout)["appliances"][0]["folder"])
    snap = json.loads((folder / "manifest.json").read_text())
    kept = [line for line in snap["log"] if line.startswith("resumed: kept")]
    assert kept and not kept[0].startswith("resumed: kept 0 page")
    # The kept screenshots are the very files of the first run (renamed, not re-taken).
    after = {p.name.split("__", 1)[1]: p.stat().st_mtime_ns for p in (folder / "pages").glob("*.png")}
    same = [n for n, t in shots.items() if after.get(n) == t]
    assert len(same) >= len(shots) - 1
    assert len(snap["pages"]) >= 13 and not snap["failures"]
