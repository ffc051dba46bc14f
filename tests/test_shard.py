"""--shard: failover peers and sites stay in one shard for any inventory and shard count; --shard auto per scheduler."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from capture import shard as shards
from capture.cli import cli
from capture.config import Appliance
from capture.errors import ConfigError


def appliance(name: str, peer: str | None = None, site: str | None = None) -> Appliance:
    return Appliance(name=name, url=f"https://{name}.example.test", peer=peer, site_hostname=site)


@st.composite
def inventories(draw: st.DrawFn, prefix: str = "a") -> list[Appliance]:
    """Singles, failover pairs (sharing a site hostname or not), chains of peers, and peers named but absent."""
    n = draw(st.integers(1, 60))
    names = [f"{prefix}{i:03d}" for i in range(n)]
    peer: dict[str, str | None] = {x: None for x in names}
    site = {x: f"site-{x}.example.test" for x in names}
    i = 0
    while i < n:
        kind = draw(st.sampled_from(["single", "pair", "pair", "chain", "absent"]))
        if kind == "pair" and i + 1 < n:
            a, b = names[i], names[i + 1]
            peer[a] = b
            peer[b] = a if draw(st.booleans()) else None  # one side naming the other is enough
            if draw(st.booleans()):
                site[b] = site[a]
            i += 2
        elif kind == "chain" and i + 2 < n:
            peer[names[i]], peer[names[i + 1]] = names[i + 1], names[i + 2]
            i += 3
        else:
            if kind == "absent":
                peer[names[i]] = f"elsewhere-{names[i]}"
            i += 1
    apps = [appliance(x, peer[x], site[x]) for x in names]
    return draw(st.permutations(apps))


def shard_of(apps: list[Appliance], total: int, universe: list[Appliance] | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(1, total + 1):
        for a in shards.select(apps, shards.Shard(i, total, "test"), universe=universe):
            assert a.name not in out, f"{a.name} in two shards"
            out[a.name] = i
    return out


@settings(max_examples=150, deadline=None)
@given(inventories(), st.integers(1, 12))
def test_peers_and_sites_share_a_shard(apps: list[Appliance], total: int) -> None:
    where = shard_of(apps, total)
    assert set(where) == {a.name for a in apps}  # every appliance in exactly one shard
    by_site: dict[str, set[int]] = {}
    for a in apps:
        if a.peer in where:
            assert where[a.name] == where[a.peer], (a.name, a.peer)
        by_site.setdefault(a.site, set()).add(where[a.name])
    assert all(len(s) == 1 for s in by_site.values())
    assert shard_of(list(reversed(apps)), total) == where  # the inventory's order does not matter


@settings(max_examples=80, deadline=None)
@given(inventories(), inventories(prefix="new"), st.integers(1, 8))
def test_adding_unrelated_sites_moves_nothing(apps: list[Appliance], more: list[Appliance], total: int) -> None:
    before = shard_of(apps, total)
    after = shard_of(apps + more, total)
    assert {n: after[n] for n in before} == before


@settings(max_examples=80, deadline=None)
@given(inventories(), st.integers(1, 8))
def test_one_more_shard_only_takes_groups_for_itself(apps: list[Appliance], total: int) -> None:
    before, after = shard_of(apps, total), shard_of(apps, total + 1)
    moved = {n for n in before if after[n] != before[n]}
    assert all(after[n] == total + 1 for n in moved)


@settings(max_examples=60, deadline=None)
@given(inventories(), st.integers(1, 6), st.data())
def test_only_never_moves_a_group(apps: list[Appliance], total: int, data: st.DataObject) -> None:
    only = data.draw(st.sets(st.sampled_from([a.name for a in apps])))
    picked = [a for a in apps if a.name in only]
    where = shard_of(apps, total)
    assert shard_of(picked, total, universe=apps) == {n: where[n] for n in only}


def test_sixty_sites_on_three_hosts_are_spread() -> None:
    apps = [appliance(f"bt{i:02d}{s}", f"bt{i:02d}{'b' if s == 'a' else 'a'}", f"site{i:02d}.example.test")
            for i in range(60) for s in "ab"]
    counts = [len(shards.select(apps, shards.Shard(i, 3, "test"))) for i in (1, 2, 3)]
    assert sum(counts) == 120 and min(counts) >= 30, counts  # rendezvous hashing: roughly even


def test_peer_gaps_name_what_only_and_the_inventory_leave_out() -> None:
    apps = [appliance("bt1", "bt2"), appliance("bt2", "bt1"), appliance("bt3", "gone"), appliance("bt4")]
    assert shards.peer_gaps(apps, ["bt1", "bt3", "bt4"], ["bt1", "bt3", "bt4"]) == [
        {"a": "bt1", "b": "bt2", "reason": "bt2 was left out by --only"},
        {"a": "bt3", "b": "gone", "reason": "gone is not in the inventory"}]
    assert shards.peer_gaps(apps, ["bt1", "bt2"], []) == []
    one_sided = [appliance("bt1", "bt2"), appliance("bt2")]
    assert shards.peer_gaps(one_sided, ["bt2"], ["bt2"]) == [
        {"a": "bt2", "b": "bt1", "reason": "bt1 was left out by --only"}]


AUTO = [
    pytest.param({"JOB_COMPLETION_INDEX": "0"}, "auto/3", (1, 3, "JOB_COMPLETION_INDEX"), id="kubernetes"),
    pytest.param({"JOB_COMPLETION_INDEX": "2", "BT_SHARD_TOTAL": "3"}, "auto", (3, 3, "JOB_COMPLETION_INDEX"),
                 id="kubernetes-total-from-env"),
    pytest.param({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3", "GITLAB_CI": "true"}, "auto", (2, 3, "CI_NODE_INDEX"),
                 id="gitlab"),
    pytest.param({"GITHUB_ACTIONS": "true", "BT_SHARD_INDEX": "3", "BT_SHARD_TOTAL": "3"}, "auto",
                 (3, 3, "BT_SHARD_INDEX"), id="github-matrix"),
    pytest.param({"JOB_COMPLETION_INDEX": "1", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2", "BT_SHARD_INDEX": "3",
                  "BT_SHARD_TOTAL": "3"}, "auto", (3, 3, "BT_SHARD_INDEX"), id="ours-override"),
    pytest.param({"JOB_COMPLETION_INDEX": "5"}, "2/3", (2, 3, "--shard 2/3"), id="explicit-wins"),
]


@pytest.mark.parametrize("env,spec,want", AUTO)
def test_shard_auto_reads_the_scheduler(env: dict[str, str], spec: str, want: tuple[int, int, str]) -> None:
    got = shards.parse(spec, env)
    assert got is not None and (got.index, got.total) == want[:2] and want[2] in got.source


BAD = [
    pytest.param({}, "auto", "no scheduler index", id="nothing"),
    pytest.param({"JOB_COMPLETION_INDEX": "0"}, "auto", "auto/N", id="kubernetes-without-count"),
    pytest.param({"JOB_COMPLETION_INDEX": "3"}, "auto/3", "out of range", id="kubernetes-index-too-big"),
    pytest.param({"GITHUB_ACTIONS": "true"}, "auto", "BT_SHARD_INDEX", id="github-without-matrix-variables"),
    pytest.param({"BT_SHARD_INDEX": "0", "BT_SHARD_TOTAL": "3"}, "auto", "out of range", id="zero-based-by-mistake"),
    pytest.param({"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, "auto/3", "say the count once", id="gitlab-mismatch"),
    pytest.param({"CI_NODE_INDEX": "1"}, "auto", "CI_NODE_TOTAL", id="gitlab-without-total"),
    pytest.param({}, "3/2", "out of range", id="index-above-count"),
    pytest.param({}, "two/3", "--shard takes", id="not-a-number"),
]


@pytest.mark.parametrize("env,spec,message", BAD)
def test_shard_auto_says_what_is_missing(env: dict[str, str], spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        shards.parse(spec, env)


FLEET = "".join(f'[[appliance]]\nname = "{n}"\nurl = "https://{n}.example.test"\n' + (f'peer = "{p}"\n' if p else "")
                for n, p in [("bt01", "bt02"), ("bt02", "bt01"), ("bt03", "bt04"), ("bt04", "bt03"),
                             ("bt05", "bt06"), ("bt06", "bt05"), ("bt07", None), ("bt08", None)])
CLEAN = {k: "" for k in ("JOB_COMPLETION_INDEX", "CI_NODE_INDEX", "CI_NODE_TOTAL", "BT_SHARD_INDEX",
                         "BT_SHARD_TOTAL", "GITHUB_ACTIONS")}


def dry_run(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    inv = tmp_path / "fleet.toml"
    inv.write_text(FLEET)
    res = CliRunner().invoke(cli, ["run", "-i", str(inv), "--dry-run", *args], env=CLEAN | env)
    return res.exit_code, res.output


@pytest.mark.parametrize("scheduler", ["kubernetes", "gitlab", "github"])
def test_cli_shard_auto_splits_the_fleet_per_scheduler(tmp_path: Path, scheduler: str) -> None:
    seen: dict[str, int] = {}
    for i in (1, 2, 3):
        env, spec = {"kubernetes": ({"JOB_COMPLETION_INDEX": str(i - 1)}, "auto/3"),
                     "gitlab": ({"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": "3"}, "auto"),
                     "github": ({"GITHUB_ACTIONS": "true", "BT_SHARD_INDEX": str(i), "BT_SHARD_TOTAL": "3"},
                                "auto")}[scheduler]
        code, out = dry_run(tmp_path, ["--shard", spec, "--json"], env)
        assert code == 0, out
        plan = json.loads(out)
        assert (plan["shard"]["index"], plan["shard"]["total"]) == (i, 3) and plan["peer_diffs_not_made"] == []
        seen |= {n: i for n in plan["appliances"]}
    assert sorted(seen) == [f"bt{i:02d}" for i in range(1, 9)]
    assert all(seen[f"bt{p:02d}"] == seen[f"bt{p + 1:02d}"] for p in (1, 3, 5))


def test_cli_only_names_the_peer_it_leaves_out(tmp_path: Path) -> None:
    code, out = dry_run(tmp_path, ["--only", "bt01", "--only", "bt07"], {})
    assert code == 0 and out.splitlines() == ["bt01", "bt07", "diff bt01 ↔ bt02: NOT MADE: bt02 was left out by --only"]
    code, out = dry_run(tmp_path, ["--shard", "auto"], {})
    assert code == 2 and out.count("\n") == 1 and "no scheduler index" in out
