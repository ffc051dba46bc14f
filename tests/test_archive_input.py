"""`bt-capture archive` on bad input, failover and shards: one clear line, the documented code, nothing damaged."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from archtools import ROOT, archive, expected_files, inventory, on_disk
from fixtures import SimOptions, Simulator

pytestmark = pytest.mark.xdist_group("archive_input")


@pytest.fixture(scope="module")
def sim_arch_pair() -> Iterator[Simulator]:
    sim = Simulator(SimOptions(pair=True, sessions_per_day=4, session_days=2, recording_size=8192,
                               agreement=False)).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def sim_arch_fleet() -> Iterator[Simulator]:
    sim = Simulator(SimOptions(count=3, sessions_per_day=5, session_days=2, recording_size=8192,
                               agreement=False)).start()
    try:
        yield sim
    finally:
        sim.stop()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.parent.name != "log" and p.name != ".lock"}


def test_failover_uses_the_backup_when_the_primary_is_down(sim_arch_pair: Simulator, tmp_path: Path,
                                                           clean: None) -> None:
    sim = sim_arch_pair
    sim._call(lambda: setattr(sim.rt.appliances[0], "powered_off", True))
    inv, env = inventory(sim, tmp_path)
    code, out, err = archive(inv, env)
    assert code == 0, err
    assert len(out["sites"]) == 1 and out["sites"][0]["appliance"] == "bt2"  # one site, from the backup
    got = {lsid for lsid, _ in on_disk(tmp_path / "out" / "archive")}
    assert got == set(expected_files(sim))
    assert '"event": "failover"' in Path(out["sites"][0]["log"]).read_text()
    sim._call(lambda: setattr(sim.rt.appliances[0], "powered_off", False))
    code, out, err = archive(inv, env)
    assert code == 0 and out["sites"][0]["appliance"] == "bt1" and out["sites"][0]["files"] == 0, err


def test_no_api_account(sim_arch_pair: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim_arch_pair, tmp_path, api=False)
    code, out, err = archive(inv, env)
    assert code == 2 and "no API account" in _one_line(err)


def test_account_without_reporting_permission(sim_arch_pair: Simulator, tmp_path: Path, clean: None) -> None:
    def deny() -> None:
        for a in sim_arch_pair.rt.appliances:
            a.l["api"]["accounts"][0]["reporting"] = False

    sim_arch_pair._call(deny)
    inv, env = inventory(sim_arch_pair, tmp_path)
    code, out, err = archive(inv, env, "--json")
    assert code == 2 and "may not read reports" in out["sites"][0]["error"], (out, err)
    proc = subprocess.run([sys.executable, "-m", "capture.cli", "archive", "-i", str(inv)], cwd=ROOT,
                          env=dict(os.environ, **env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "permission" in _one_line(proc.stderr)


def test_unwritable_archive_folder(sim_arch_pair: Simulator, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the archive folder's parent should be")
    inv, env = inventory(sim_arch_pair, tmp_path, extra=f'folder = "{blocker}/archive"\n')
    code, out, err = archive(inv, env)
    assert code == 2 and "is not writable" in _one_line(err)
    assert blocker.read_text().startswith("a file")


def test_damaged_state_file_stops_before_anything_changes(sim_arch_pair: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim_arch_pair, tmp_path)
    assert archive(inv, env)[0] == 0
    root = tmp_path / "out" / "archive"
    state = root / "support.example.test" / "state.json"
    state.write_text('{"version": 1, "watermarks": {"SupportSession": {"time": "yesterday"')
    before = _tree(root)
    code, out, err = archive(inv, env)
    assert code == 2 and "state file" in _one_line(err) and "damaged" in err
    assert _tree(root) == before


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_shards_at_once_into_one_catalog(sim_arch_fleet: Simulator, tmp_path: Path, pg_server, engine: str) -> None:
    url = str(tmp_path / "shared" / "catalog.sqlite") if engine == "sqlite" else pg_server.create_db(
        f"shards_{os.getpid()}_{tmp_path.name[-8:]}".replace("-", "_").lower())
    inv, env = inventory(sim_arch_fleet, tmp_path, extra=f'catalog = "{url}"\n')
    procs = [subprocess.Popen([sys.executable, "-m", "capture.cli", "archive", "-i", str(inv), "--shard", f"{i}/2",
                               "--json"], cwd=ROOT, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    import json

    done = [{s["site"] for s in json.loads(o)["sites"]} for o, _ in outs]
    assert not done[0] & done[1] and done[0] | done[1] == {a["site_hostname"] for a in sim_arch_fleet.info()["appliances"]}
    code, found, err = archive(inv, env, "search", "-i", str(inv), "--json")
    assert code == 0, err
    want = sum(len(expected_files(sim_arch_fleet, site)) for site in done[0] | done[1])
    assert sum(r["status"] == "complete" for r in found) == want
    assert {r["site"] for r in found} == done[0] | done[1]
