"""The archive catalog on both engines (SQLite file, real PostgreSQL): migrations, search, and two shards at once."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from capture.archive import schema
from capture.archive.catalog import Catalog
from capture.archive.reporting import Session
from capture.errors import ConfigError

pytestmark = pytest.mark.xdist_group("archive_catalog")
ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent("""
    import sys, time
    from capture.archive.catalog import Catalog
    from capture.archive.reporting import Session
    url, site, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    while time.time() < float(sys.argv[4]):  # start together: both migrate the fresh catalog at once
        time.sleep(0.005)
    cat = Catalog(url)
    run = cat.run_started(site, "host-" + site, "1/2")
    for i in range(n):
        s = Session(lsid=f"{site[:4]}{i:028d}", start=1_700_000_000 + i * 60, end=1_700_000_030 + i * 60,
                    primary_rep="Jane Doe", reps=["jdoe (Jane Doe)"], customer="Alice", text=f"ticket {i}")
        cat.save_file(site, s.lsid, "session", "report", f"{site}/x/{s.lsid}/session.xml", "saved", 10, "ab" * 32)
        cat.save_session(site, s, "complete", f"{site}/x/{s.lsid}", "bt1", "2023-11-14")
    cat.run_finished(run, sessions=n, files=n)
    cat.close()
""")


def _session(lsid: str, start: int, **kw) -> Session:
    base = dict(end=start + 600, primary_rep="Jane Doe", reps=["jdoe (Jane Doe)"], customer="Alice Martin",
                customer_host="WS-ALICE01", external_key="TCK-1", text="printer offline | jdoe (Jane Doe)")
    base.update(kw)
    return Session(lsid=lsid, start=start, **base)


def test_migrations_are_the_same_on_both_engines_and_idempotent(catalog_url: str) -> None:
    Catalog(catalog_url).close()
    cat = Catalog(catalog_url)  # a second open finds the schema current and changes nothing
    try:
        with cat.engine.connect() as conn:
            versions = [r.version for r in conn.execute(select(schema.version).order_by(schema.version.c.version))]
            tables = set(inspect(conn).get_table_names())
            cols = {t: [c["name"] for c in inspect(conn).get_columns(t)] for t in ("sessions", "files", "runs")}
            indexes = {i["name"] for i in inspect(conn).get_indexes("files")}
    finally:
        cat.close()
    assert versions == list(range(1, len(schema.MIGRATIONS) + 1))
    assert {"schema_version", "sessions", "files", "runs"} <= tables
    assert cols == {t: [c.name for c in schema.meta.tables[t].columns] for t in cols}
    assert "ix_files_status" in indexes


def test_upsert_search_summary_and_prune_marks(catalog_url: str) -> None:
    cat = Catalog(catalog_url)
    try:
        day1, day2 = 1_767_268_800, 1_767_355_200  # 2026-01-01 and 2026-01-02, 12:00 UTC
        cat.save_session("a.example", _session("a" * 32, day1), "running", "", "bt1", "2026-01-01")
        cat.save_session("a.example", _session("a" * 32, day1), "complete", "a.example/2026/01/01/" + "a" * 32,
                         "bt1", "2026-01-01")  # the running session ended: one row, updated
        cat.save_session("a.example", _session("b" * 32, day2, primary_rep="Ravi Smith", reps=["rsmith (Ravi Smith)"],
                                               customer="Bob Chen", text="vpn will not connect"), "complete",
                         "a.example/2026/01/02/" + "b" * 32, "bt2", "2026-01-02")
        cat.save_session("b.example", _session("c" * 32, day2), "partial", "x", "bt9", "2026-01-02")
        cat.save_file("a.example", "a" * 32, "recording", "recording", "p/recording.flv", "saved", 5, "0" * 64)
        cat.save_file("a.example", "a" * 32, "recording", "recording", "p/recording.flv", "saved", 7, "1" * 64)
        cat.save_file("a.example", "b" * 32, "recording", "recording", "q/recording", "aged_out", detail="expired")
        assert [r["lsid"] for r in cat.search(day_from="2026-01-01", day_to="2026-01-01")] == ["a" * 32]
        assert {r["lsid"] for r in cat.search(person="ravi")} == {"b" * 32}
        assert {r["lsid"] for r in cat.search(person="ALICE")} == {"a" * 32, "c" * 32}
        assert [r["lsid"] for r in cat.search(words="VPN connect")] == ["b" * 32]
        assert cat.search(words="vpn printer") == []
        hit = cat.search(day_from="2026-01-01", day_to="2026-01-01", sites=["a.example"])[0]
        assert hit["status"] == "complete" and [(f["size"], f["sha256"][0]) for f in hit["files"]] == [(7, "1")]
        summary = cat.summary()
        assert summary["a.example"]["sessions"] == {"complete": 2}
        assert summary["a.example"]["files"] == {"saved": {"count": 1, "bytes": 7}, "aged_out": {"count": 1, "bytes": 0}}
        assert summary["b.example"]["sessions"] == {"partial": 1}
        cat.mark_pruned("a.example", "a" * 32, "recording")
        assert [f["status"] for f in cat.files(["a.example"], ("pruned",))] == ["pruned"]
        assert cat.search(person="alice", sites=["a.example"])[0]["files"][0]["status"] == "pruned"
    finally:
        cat.close()


def test_two_shards_write_into_one_catalog_at_once(catalog_url: str) -> None:
    import time

    go = str(time.time() + 1.5)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, catalog_url, site, "150", go], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for site in ("shard-one.example", "shard-two.example")]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    cat = Catalog(catalog_url)
    try:
        summary = cat.summary()
        with cat.engine.connect() as conn:
            versions = conn.execute(select(schema.version.c.version)).scalars().all()
            runs = conn.execute(select(schema.runs.c.site, schema.runs.c.sessions)).all()
    finally:
        cat.close()
    assert sorted(versions) == list(range(1, len(schema.MIGRATIONS) + 1))  # migrated once, not twice
    for site in ("shard-one.example", "shard-two.example"):
        assert summary[site]["sessions"] == {"complete": 150}
        assert summary[site]["files"]["saved"]["count"] == 150
    assert sorted(runs) == [("shard-one.example", 150), ("shard-two.example", 150)]


def test_catalog_urls_are_checked() -> None:
    with pytest.raises(ConfigError, match="PGPASSWORD"):
        Catalog("postgresql://btc:CANARYPw@127.0.0.1:1/x")
    with pytest.raises(ConfigError, match="only SQLite files and postgresql"):
        Catalog("mysql://btc@127.0.0.1/x")
    with pytest.raises(ConfigError, match="cannot open it"):
        Catalog("postgresql://btc@127.0.0.1:1/nothing")
