"""The binder of an output root, from folders on disk: history under the newest snapshot, partials, peer diffs, lock, cache."""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from captools import run_async
from capture.records import Failure, PeerInfo, Snapshot
from reports import binder, binder_scan

T0 = datetime(2026, 11, 1, 2, 30, tzinfo=timezone.utc)
BT = [sys.executable, "-m", "capture.cli"]


def snapshot(root: Path, label: str, week: int, *, site: str | None = None, failures: int = 0,
             peer: str | None = None, not_compared: str | None = None, partial: bool = False,
             folder: str | None = None) -> Path:
    """A snapshot folder as a run leaves it (manifest only; the binder reads nothing else)."""
    started = T0 + timedelta(weeks=week)
    name = folder or f"{label}.example.test_7.3.2_SN{label}_base-7.3.2_{started:%Y-%m-%dT%H%MZ}"
    f = root / (f".{label}.partial" if partial else name)
    f.mkdir(parents=True)
    snap = Snapshot(name="" if partial else name, label=label, site_hostname=site or f"{label}-site.example.test",
                    appliance_hostname=f"{label}.example.test", started_at=started,
                    finished_at=None if partial else started + timedelta(minutes=2),
                    failures=[Failure(step=f"appliance.page{i}", error="HTTP 500") for i in range(failures)],
                    peer=PeerInfo(name=peer, not_compared=not_compared) if peer else None)
    (f / ("manifest.partial.json" if partial else "manifest.json")).write_text(snap.model_dump_json())
    if not partial:
        (f / "dossier.html").write_text("<html></html>")
    return f


def peer_diff(root: Path, a: Path, b: Path, *, must_match: int = 0) -> Path:
    sa, sb = (json.loads((x / "manifest.json").read_text()) for x in (a, b))
    d = root / f"diff_{sa['label']}__{sb['label']}"
    d.mkdir(exist_ok=True)
    (d / "diff.json").write_text(json.dumps({
        "a": sa["label"], "b": sb["label"], "a_snapshot": sa["name"], "b_snapshot": sb["name"], "mode": "peers",
        "verdict": "the peers are consistent" if not must_match else f"{must_match} must-match fields differ",
        "must_match": must_match}))
    (d / "diff.html").write_text("<html></html>")
    return d


def build(root: Path) -> tuple[str, dict[str, Any]]:
    run_async(binder.update(root, None))
    found = binder_scan.scan(root)
    return (root / "index.html").read_text(), binder.model(found, root)


def rows(html: str) -> list[str]:
    """The appliance rows of index.html as text, each with its history line(s)."""
    body = html.split('<table class="grid status">', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", r) for r in body.split("<tr")[2:]]


def test_newest_snapshot_with_the_earlier_ones_under_it(tmp_path: Path) -> None:
    old = snapshot(tmp_path, "bt01", 0)
    mid = snapshot(tmp_path, "bt01", 1, failures=2)
    new = snapshot(tmp_path, "bt01", 2, failures=1)
    interrupted = snapshot(tmp_path, "bt01", 3, partial=True)
    snapshot(tmp_path / "2026-W45", "bt02", 0)  # one level down: still this root's
    (tmp_path / ".bt03.partial").mkdir()  # a capture that has not saved anything yet
    html, m = build(tmp_path)
    apps = {a["label"]: a for a in m["apps"]}
    assert sorted(apps) == ["bt01", "bt02", "bt03"]
    one = apps["bt01"]
    assert one["latest"]["name"] == new.name and one["outcome"] == "1 problem"
    assert [h["name"] for h in one["history"]] == [".bt01.partial", mid.name, old.name]  # newest first
    assert [h["outcome"] for h in one["history"]] == ["partial", "2 problems", "complete"]
    assert one["last_good"]["name"] == old.name  # the newest has problems: the last clean one is named
    assert apps["bt03"]["outcome"] == "partial" and apps["bt02"]["latest"]["dossier"].startswith("2026-W45/")
    text = rows(html)
    first = next(r for r in text if "bt01.example.test" in r)
    assert "1 problem" in first
    history = text[text.index(first) + 1]
    assert history.index(".bt01.partial") < history.index(mid.name) < history.index(old.name)
    assert f'href="{new.name}/dossier.html"' in html and f'href="{old.name}/dossier.html"' in html
    assert f'href=".bt01.partial/"' in html  # a partial links its folder: there is no dossier
    assert m["snapshots"] == 6 and m["bad"] == 2  # bt01 (a problem) and bt03 (partial)


def test_peer_diffs_of_the_newest_snapshots_and_pairs_not_compared(tmp_path: Path) -> None:
    a0, b0 = snapshot(tmp_path, "bt01", 0, peer="bt02"), snapshot(tmp_path, "bt02", 0, peer="bt01")
    peer_diff(tmp_path, a0, b0)
    time.sleep(0.01)
    snapshot(tmp_path, "bt01", 1, peer="bt02", not_compared="bt02 was left out by --only")
    c, d = snapshot(tmp_path, "bt03", 1, peer="bt04"), snapshot(tmp_path, "bt04", 1, peer="bt03")
    time.sleep(0.01)
    peer_diff(tmp_path, c, d, must_match=3)
    snapshot(tmp_path, "bt05", 1, peer="gone", not_compared="gone is not in the inventory")
    html, m = build(tmp_path)
    pairs = {(p["a"], p["b"]): p for p in m["pairs"]}
    assert set(pairs) == {("bt01", "bt02"), ("bt03", "bt04"), ("bt05", "gone")}
    left = pairs[("bt01", "bt02")]
    assert left["diff"] is None and left["reason"] == "bt02 was left out by --only"
    assert left["earlier"]["html"] == "diff_bt01__bt02/diff.html"  # the last diff made, of earlier snapshots
    assert pairs[("bt03", "bt04")]["diff"]["must_match"] == 3
    assert pairs[("bt05", "gone")]["reason"] == "gone is not in the inventory"
    apps = {a["label"]: a for a in m["apps"]}
    assert any("differs from the failover peer bt04" in p for p in apps["bt03"]["problems"])
    assert apps["bt02"]["peer"]["reason"] == "bt02 was left out by --only"  # both sides say so
    assert "Not compared:</strong> bt02 was left out by --only" in html
    assert "bt02 was left out by --only" in next(r for r in rows(html) if "bt01.example.test" in r)
    assert m["bad"] == 3  # three pairs: one differs, two were not compared (the appliances themselves are clean)


def test_unreadable_manifest_is_a_row_not_a_crash(tmp_path: Path) -> None:
    snapshot(tmp_path, "bt01", 0)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{not json")
    html, m = build(tmp_path)
    assert [a["label"] for a in m["apps"]] == ["broken", "bt01"] and "unreadable" in html


def test_cache_reads_only_what_changed(tmp_path: Path) -> None:
    folders = [snapshot(tmp_path, f"bt{i:02d}", w) for i in range(5) for w in range(2)]
    build(tmp_path)
    again = binder_scan.scan(tmp_path)
    assert (again.read, again.cached) == (0, 10)
    cache = json.loads((tmp_path / binder_scan.CACHE).read_text())
    assert len(cache["entries"]) == 10 and oct((tmp_path / binder_scan.CACHE).stat().st_mode & 0o777) == "0o600"
    m = folders[3] / "manifest.json"
    data = json.loads(m.read_text())
    data["failures"] = [{"step": "appliance.snmp", "error": "HTTP 500", "kind": "page"}]
    m.write_text(json.dumps(data))
    os.utime(m, ns=(time.time_ns(), time.time_ns() + 1000))
    import shutil

    shutil.rmtree(folders[0])
    html, model = build(tmp_path)
    assert "appliance.snmp: HTTP 500" in html and folders[0].name not in html
    after = json.loads((tmp_path / binder_scan.CACHE).read_text())["entries"]
    assert len(after) == 9 and not any(folders[0].name in k for k in after)


def test_a_binder_waits_for_the_lock_and_rebuilds_from_disk(tmp_path: Path) -> None:
    """Two shards finishing together: the second binder waits for the first, then sees every snapshot."""
    snapshot(tmp_path, "bt01", 0)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))

    async def hold() -> subprocess.Popen[str]:
        async with binder.locked(tmp_path):
            proc = subprocess.Popen(BT + ["binder", str(tmp_path), "--html-only"], env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            await asyncio.sleep(2.0)
            assert proc.poll() is None  # still waiting for the lock
            snapshot(tmp_path, "bt02", 0)  # finished while it waited
        return proc

    proc = run_async(hold())
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    html = (tmp_path / "index.html").read_text()
    assert "bt01.example.test" in html and "bt02.example.test" in html


def test_many_binders_at_once_lose_no_row_and_leave_no_half_file(tmp_path: Path) -> None:
    """Eight runs finish at once, each adding its snapshot and rebuilding the binder, while a reader
    keeps opening index.html: every read is a whole document, and the last one lists all nine."""
    snapshot(tmp_path, "bt00", 0)
    run_async(binder.update(tmp_path, None))
    script = ("import asyncio, sys; sys.path.insert(0, sys.argv[3]); from test_binder import snapshot; "
              "from pathlib import Path; from reports import binder; "
              "snapshot(Path(sys.argv[1]), sys.argv[2], 1); asyncio.run(binder.update(Path(sys.argv[1]), None))")
    here = str(Path(__file__).parent)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    bad: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            text = (tmp_path / "index.html").read_text()
            if not text.rstrip().endswith("</html>"):
                bad.append(text[-80:])
            time.sleep(0.002)

    reader = threading.Thread(target=read)
    reader.start()
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), f"bt{i:02d}", here], env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(1, 9)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    stop.set()
    reader.join()
    assert all(p.returncode == 0 for p in procs), errs
    assert bad == []
    html = (tmp_path / "index.html").read_text()
    assert all(f"bt{i:02d}.example.test" in html for i in range(9))
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part") or p.name.startswith(".index")]
