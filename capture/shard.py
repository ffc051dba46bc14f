"""--shard: slices of an inventory that keep failover peers together, and `--shard auto` from the scheduler's variables."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from capture.errors import ConfigError

# What `--shard auto` reads, in this order. BT_SHARD_* is ours: GitHub Actions has no index variable of its
# own, so a workflow sets them from its matrix (docs/fleet.md); they also override a scheduler's own.
AUTO_HELP = ("BT_SHARD_INDEX/BT_SHARD_TOTAL (1-based; set them from a GitHub Actions matrix), "
             "JOB_COMPLETION_INDEX (Kubernetes Indexed Job, 0-based; the count from --shard auto/N or BT_SHARD_TOTAL), "
             "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab CI parallel)")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as in --shard i/n
    total: int
    source: str  # where index and total came from, for the log and the JSON output

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def _int(raw: str, what: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"--shard: {what} is {raw!r}, not a whole number") from None


def parse(spec: str | None, env: Mapping[str, str]) -> Shard | None:
    """--shard i/n, auto or auto/n (the count given, the index from the environment); None without --shard."""
    if not spec:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec)
    if m:
        return _checked(int(m.group(1)), int(m.group(2)), f"--shard {spec.strip()}")
    m = re.fullmatch(r"\s*auto\s*(?:/\s*(\d+)\s*)?", spec)
    if not m:
        raise ConfigError("--shard takes i/n with 1 <= i <= n (e.g. 2/4), auto, or auto/n")
    return _auto(int(m.group(1)) if m.group(1) else None, env)


def _auto(count: int | None, env: Mapping[str, str]) -> Shard:
    total_env = env.get("BT_SHARD_TOTAL", "").strip()
    total = _int(total_env, "BT_SHARD_TOTAL") if total_env else None
    if count is not None and total is not None and count != total:
        raise ConfigError(f"--shard auto/{count} but BT_SHARD_TOTAL={total}: say the count once")
    total = count if count is not None else total
    if env.get("BT_SHARD_INDEX", "").strip():
        if total is None:
            raise ConfigError("--shard auto: BT_SHARD_INDEX is set but not the count (set BT_SHARD_TOTAL, "
                              "or use --shard auto/N)")
        return _checked(_int(env["BT_SHARD_INDEX"], "BT_SHARD_INDEX"), total, "BT_SHARD_INDEX/BT_SHARD_TOTAL")
    if env.get("JOB_COMPLETION_INDEX", "").strip():
        if total is None:
            raise ConfigError("--shard auto: Kubernetes gives the index (JOB_COMPLETION_INDEX) but not the count: "
                              "use --shard auto/N with N = the Job's completions, or set BT_SHARD_TOTAL")
        return _checked(_int(env["JOB_COMPLETION_INDEX"], "JOB_COMPLETION_INDEX") + 1, total,
                        "JOB_COMPLETION_INDEX (Kubernetes Indexed Job)")
    if env.get("CI_NODE_INDEX", "").strip():
        node_total = _int(env.get("CI_NODE_TOTAL", ""), "CI_NODE_TOTAL")
        if total is not None and total != node_total:
            raise ConfigError(f"--shard auto/{total} but CI_NODE_TOTAL={node_total}: say the count once")
        return _checked(_int(env["CI_NODE_INDEX"], "CI_NODE_INDEX"), node_total, "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab CI)")
    if env.get("GITHUB_ACTIONS") == "true":
        raise ConfigError("--shard auto on GitHub Actions: set BT_SHARD_INDEX (1-based) and BT_SHARD_TOTAL "
                          "from the job's matrix (see docs/fleet.md)")
    raise ConfigError(f"--shard auto: no scheduler index in the environment; looked for {AUTO_HELP}")


def _checked(index: int, total: int, source: str) -> Shard:
    if not 1 <= index <= total:
        raise ConfigError(f"--shard: shard {index} of {total} (from {source}) is out of range; "
                          "the index runs from 1 to the count (Kubernetes' JOB_COMPLETION_INDEX from 0)")
    return Shard(index, total, source)


def groups(apps: Sequence[Any]) -> list[list[Any]]:
    """Appliances that must be captured together: linked by `peer` (either way, transitively) or sharing a
    site hostname. In inventory order; a peer missing from apps links nothing."""
    parent = list(range(len(apps)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    index = {a.name: i for i, a in enumerate(apps)}
    by_site: dict[str, int] = {}
    for i, a in enumerate(apps):
        if a.peer in index:
            join(i, index[a.peer])
        site = (a.site or "").lower()
        if site:
            if site in by_site:
                join(i, by_site[site])
            by_site.setdefault(site, i)
    out: dict[int, list[Any]] = {}
    for i, a in enumerate(apps):
        out.setdefault(find(i), []).append(a)
    return list(out.values())


def group_key(group: Sequence[Any]) -> str:
    """What a group is placed by: its site hostname (the smallest, should peers name several), so that a
    site keeps its shard when appliances are added to it or elsewhere."""
    return min((a.site or a.name).lower() for a in group)


def place(key: str, total: int) -> int:
    """Rendezvous (highest random weight) hashing: the shard 1..total that scores highest for this key.
    Adding sites moves none; going from n to n+1 shards moves only what the new shard wins (about 1/(n+1))."""
    def score(i: int) -> bytes:
        return hashlib.sha256(f"{i}\0{key}".encode()).digest()

    return max(range(1, total + 1), key=score)


def select(apps: Sequence[Any], shard: Shard | None, universe: Sequence[Any] | None = None) -> list[Any]:
    """The appliances of apps in this shard, grouped over universe (the whole inventory, so that --only
    never moves a group), in inventory order."""
    if shard is None:
        return list(apps)
    mine = {a.name for g in groups(universe if universe is not None else apps)
            if place(group_key(g), shard.total) == shard.index for a in g}
    return [a for a in apps if a.name in mine]


def peer_gaps(inventory: Sequence[Any], chosen: Sequence[str], only: Sequence[str] = ()) -> list[dict[str, str]]:
    """Failover peers that this run will not compare, each with the reason: a peer left out by --only, or
    named by `peer` but missing from the inventory. One entry per pair, from the side that is captured."""
    names = {a.name for a in inventory}
    taken = set(chosen)
    out: list[dict[str, str]] = []
    seen: set[frozenset[str]] = set()
    links = [(a.name, a.peer) for a in inventory if a.peer and a.peer != a.name]
    for a, b in links + [(b, a) for a, b in links]:
        key = frozenset((a, b))
        if a not in taken or b in taken or key in seen:
            continue
        seen.add(key)
        if b not in names:
            why = f"{b} is not in the inventory"
        elif only and b not in only:
            why = f"{b} was left out by --only"
        else:  # never by --shard itself: peers share a shard
            why = f"{b} is not captured in this run"
        out.append({"a": a, "b": b, "reason": why})
    return out
