"""A fleet larger than one host: two shards at once into one root, then "next week" with a peer left out by --only."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from captools import secrets_of, sweep
from fixtures import SimOptions, Simulator
from fixtures.inventory import inventory_for
from simhelpers import require_tool

pytestmark = pytest.mark.xdist_group("fleet-shards")
BT = [sys.executable, "-m", "capture.cli"]
PAIRS = [("bt01", "bt02"), ("bt03", "bt04"), ("bt05", "bt06")]  # bt07 and bt08 stand alone
ALL = [f"bt{i:02d}" for i in range(1, 9)]
# Where rendezvous hashing puts these sites with two shards (the property tests cover every other split).
SHARD_1, SHARD_2 = ["bt05", "bt06", "bt07"], ["bt01", "bt02", "bt03", "bt04", "bt08"]


def _env(extra: dict[str, str]) -> dict[str, str]:
    scheduler = ("JOB_COMPLETION_INDEX", "CI_NODE_INDEX", "CI_NODE_TOTAL", "BT_SHARD_INDEX", "BT_SHARD_TOTAL")
    return {k: v for k, v in os.environ.items() if not k.startswith("BTC_") and k not in scheduler} | extra


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(BT + args, env=_env(env), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def finish(p: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=900)
    assert p.returncode in (0, 1), out[-3000:] + err[-3000:]  # 1: the simulated peers differ in must-match fields
    return p.returncode, out, err


def manifest(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "manifest.json").read_text())


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Round 1: two shards at once, started as a Kubernetes Indexed Job starts them (JOB_COMPLETION_INDEX,
    --shard auto/2), into one output root. Round 2, "next week": one run with --only that leaves bt02 out,
    and bt02 on its own at the same time, both without rendering; then `bt-capture binder ROOT`."""
    require_tool("pdftotext")
    sim = Simulator(SimOptions(count=8, nsb_size=64 * 1024)).start()
    try:
        work = tmp_path_factory.mktemp("shards")
        root = work / "out"
        text, env = inventory_for(sim.info(), root, nsb="api", jobs=2)
        for a, b in PAIRS:  # the simulated fleet has no pairs of its own: the inventory makes three
            for x, y in ((a, b), (b, a)):
                text = text.replace(f'name = "{x}"\n', f'name = "{x}"\npeer = "{y}"\n')
        inv = work / "inventory.toml"
        inv.write_text(text)
        shards = [start(["run", "-i", str(inv), "--no-ocr", "--shard", "auto/2", "--json"],
                        env | {"JOB_COMPLETION_INDEX": str(i)}) for i in (0, 1)]
        round1 = [json.loads(finish(p)[1]) for p in shards]
        binder1 = (root / "index.html").read_text()
        pdf1 = subprocess.run(["pdftotext", "-layout", str(root / "binder.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        seven = start(["run", "-i", str(inv), "--no-ocr", "--no-render", *(f"--only={n}" for n in ALL if n != "bt02")],
                      env)
        alone = start(["run", "-i", str(inv), "--no-ocr", "--no-render", "--only", "bt02", "--json"], env)
        round2 = [finish(seven), finish(alone)]
        p = subprocess.run(BT + ["binder", str(root), "--json"], env=_env({}), capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stderr
        pdf2 = subprocess.run(["pdftotext", "-layout", str(root / "binder.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        yield {"root": root, "round1": round1, "binder1": binder1, "pdf1": pdf1, "round2": round2,
               "binder2": json.loads(p.stdout), "html2": (root / "index.html").read_text(), "pdf2": pdf2,
               "secrets": secrets_of(sim, env), "destructive": sim.events(kind="destructive")}
    finally:
        sim.stop()


def test_two_shards_at_once_capture_every_pair_and_one_binder_lists_all(fleet: dict[str, Any]) -> None:
    one, two = fleet["round1"]
    assert [a["name"] for a in one["appliances"]] == SHARD_1 and [a["name"] for a in two["appliances"]] == SHARD_2
    assert one["shard"] == {"index": 1, "total": 2, "source": "JOB_COMPLETION_INDEX (Kubernetes Indexed Job)"}
    assert two["shard"]["index"] == 2
    assert all(a["folder"] and not any("login" in p for p in a["problems"]) for r in (one, two) for a in r["appliances"])
    diffs = {(d["a"], d["b"]): d for r in (one, two) for d in r["diffs"]}
    assert sorted(diffs) == PAIRS and all(Path(d["html"]).is_file() and "error" not in d for d in diffs.values())
    assert one["peer_diffs_not_made"] == [] and two["peer_diffs_not_made"] == []
    root = fleet["root"]
    assert not list(root.glob(".*.partial")) and not list(root.rglob("*.part"))
    html = fleet["binder1"]
    latest = {a["name"]: Path(a["folder"]).name for r in (one, two) for a in r["appliances"]}
    for name, folder in latest.items():  # all eight, each with the snapshot this round took
        assert f'href="{folder}/dossier.html"' in html, name
        assert f"{name}.example.test" in fleet["pdf1"]
    assert html.count("diff_bt0") >= 3 and "no peer diff" not in html
    assert fleet["destructive"] == []
    assert sweep(root, fleet["secrets"]) == []


def test_next_week_shows_the_newest_with_the_earlier_one_under_it(fleet: dict[str, Any]) -> None:
    first = {a["name"]: Path(a["folder"]).name for r in fleet["round1"] for a in r["appliances"]}
    b2 = fleet["binder2"]
    apps = {a["name"]: a for a in b2["appliances"]}
    assert sorted(apps) == ALL
    html = fleet["html2"]
    body = html.split('<table class="grid status">', 1)[1].split("</table>", 1)[0]
    for name, a in apps.items():
        assert a["earlier"] == 1 and a["newest"] != first[name] and a["newest"].startswith(f"{name}.example.test"), a
        row = body.split(f"<strong>{name}.example.test</strong>", 1)[1].split('<tr id="appliance-', 1)[0]
        history = row.split('class="history"', 1)[1]
        assert f'href="{first[name]}/dossier.html"' in history  # last week's snapshot, with its dossier
        assert a["newest"] not in history  # the newest is the row itself, not its history
    compared = {(p["a"], p["b"]): p for p in b2["pairs"]}
    assert compared[("bt03", "bt04")]["verdict"] and compared[("bt05", "bt06")]["verdict"]


def test_a_peer_left_out_by_only_is_named_in_the_summary_and_the_binder(fleet: dict[str, Any]) -> None:
    (_, seven, _), (_, alone, _) = fleet["round2"]
    assert "diff bt01 ↔ bt02: NOT MADE: bt02 was left out by --only" in seven
    assert json.loads(alone)["peer_diffs_not_made"] == [{"a": "bt02", "b": "bt01",
                                                         "reason": "bt01 was left out by --only"}]
    folder = next(line.split()[-1] for line in seven.splitlines() if line.startswith("bt01 "))
    assert manifest(folder)["peer"] == {**manifest(folder)["peer"], "name": "bt02",
                                        "not_compared": "bt02 was left out by --only"}
    pair = next(p for p in fleet["binder2"]["pairs"] if (p["a"], p["b"]) == ("bt01", "bt02"))
    assert pair["verdict"] is None and "bt02 was left out by --only" in pair["not_compared"]
    assert "Not compared:</strong> bt02 was left out by --only" in fleet["html2"]
    assert "earlier diff" in fleet["html2"]  # last week's diff of the pair stays linked
    assert re.search(r"bt02\s+was\s+left\s+out\s+by\s+--only", fleet["pdf2"])
