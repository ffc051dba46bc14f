"""The catalog's tables and their migrations: one definition for SQLite and PostgreSQL (SQLAlchemy Core)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import (BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, Text, func, insert,
                        select, text)

meta = MetaData()

version = Table("schema_version", meta, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))

sessions = Table(
    "sessions", meta,
    Column("site", String(253), primary_key=True),
    Column("lsid", String(64), primary_key=True),
    Column("status", String(16), nullable=False),  # running, partial, complete
    Column("start_time", BigInteger, nullable=False),  # UNIX seconds, UTC
    Column("end_time", BigInteger),  # empty while the session runs
    Column("day", String(10), nullable=False),  # YYYY-MM-DD of the start, UTC: the archive folder
    Column("primary_rep", String(200), nullable=False, default=""),
    Column("reps", Text, nullable=False, default=""),
    Column("customer", String(200), nullable=False, default=""),
    Column("customer_host", String(200), nullable=False, default=""),
    Column("external_key", String(200), nullable=False, default=""),
    Column("search_text", Text, nullable=False, default=""),
    Column("folder", Text, nullable=False, default=""),  # relative to the archive root
    Column("appliance", String(200), nullable=False, default=""),  # which peer answered
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_sessions_day", sessions.c.day)
Index("ix_sessions_start", sessions.c.site, sessions.c.start_time)

files = Table(
    "files", meta,
    Column("site", String(253), primary_key=True),
    Column("lsid", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),  # session.xml, recording.flv, shell-0.flv
    Column("kind", String(24), nullable=False),  # report, recording, shell_recording
    Column("path", Text, nullable=False),  # relative to the archive root
    Column("status", String(16), nullable=False),  # saved, aged_out, failed, pruned
    Column("size", BigInteger, nullable=False, default=0),
    Column("sha256", String(64), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
    Column("updated_at", BigInteger, nullable=False),
)

runs = Table(
    "runs", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site", String(253), nullable=False),
    Column("host", String(253), nullable=False),
    Column("shard", String(16), nullable=False, default=""),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Column("sessions", Integer, nullable=False, default=0),
    Column("files", Integer, nullable=False, default=0),
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
    Column("outcome", String(200), nullable=False, default=""),
)


def _v1(conn: Connection) -> None:
    meta.create_all(conn, tables=[sessions, files, runs])


def _v2(conn: Connection) -> None:
    # Verify and prune select files by status. Later steps are written like this one, as DDL that both
    # engines accept (IF NOT EXISTS), and never edit an earlier step: a catalog remembers which it has run.
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_files_status ON files (status)"))


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2]


def migrate(conn: Connection) -> int:
    """Bring the schema up to date inside the caller's transaction (which holds the migration lock)."""
    version.create(conn, checkfirst=True)
    current = conn.execute(select(func.max(version.c.version))).scalar() or 0
    for n, step in enumerate(MIGRATIONS[current:], start=current + 1):
        step(conn)
        conn.execute(insert(version).values(id=n, version=n))
    return len(MIGRATIONS)


def lock(conn: Connection) -> None:
    """Serialise migrations of several hosts starting at once (SQLite already holds its write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7311022)"))
