"""The catalog of archived sessions and files: SQLite by default, PostgreSQL by URL, the same queries for both."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Engine, and_, create_engine, event, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from capture.archive.schema import files, lock, migrate, runs, sessions
from capture.errors import ConfigError


def engine_for(target: str) -> Engine:
    """A PostgreSQL URL (password from PGPASSWORD or ~/.pgpass, never the URL) or a SQLite file path."""
    if "://" not in target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            path.touch(mode=0o600)
        eng = create_engine(f"sqlite:///{path}", connect_args={"timeout": 60})

        @event.listens_for(eng, "connect")
        def _connect(dbapi: Any, _: Any) -> None:
            dbapi.isolation_level = None  # we issue BEGIN ourselves, below
            dbapi.execute("PRAGMA journal_mode=WAL")
            dbapi.execute("PRAGMA busy_timeout=60000")

        @event.listens_for(eng, "begin")
        def _begin(conn: Any) -> None:
            # Take the write lock at the start: two shards never meet halfway through a transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return eng
    try:
        url = make_url(target)
    except ArgumentError:
        raise ConfigError(f"catalog: not a database URL: {target.split('@')[-1]}") from None
    if url.password:
        raise ConfigError("catalog: put the database password in PGPASSWORD or ~/.pgpass, not in the URL")
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return create_engine(url.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise ConfigError(f"catalog: only SQLite files and postgresql:// URLs are supported, not {url.drivername}")


def _insert(conn: Any, table: Any) -> Any:
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def _upsert(conn: Any, table: Any, row: dict[str, Any], keys: Iterable[str]) -> None:
    keys = list(keys)
    stmt = _insert(conn, table).values(**row)
    conn.execute(stmt.on_conflict_do_update(index_elements=keys,
                                            set_={k: v for k, v in row.items() if k not in keys}))


class Catalog:
    def __init__(self, target: str) -> None:
        self.target = target
        try:
            self.engine = engine_for(target)
            with self.engine.begin() as conn:
                lock(conn)
                migrate(conn)
        except (DBAPIError, SQLAlchemyError, OSError) as e:
            raise ConfigError(f"catalog {self.where}: cannot open it: {_short(e)}") from None

    @property
    def where(self) -> str:
        return self.target.split("@")[-1] if "://" in self.target else self.target

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------------------------
    def known(self, site: str, lsids: list[str]) -> dict[str, dict[str, Any]]:
        """{lsid: {"status": …, "files": {name: row}}} for the given sessions of a site."""
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(lsids), 500):
                part = lsids[i:i + 500]
                for r in conn.execute(select(sessions.c.lsid, sessions.c.status).where(
                        sessions.c.site == site, sessions.c.lsid.in_(part))):
                    out[r.lsid] = {"status": r.status, "files": {}}
                for r in conn.execute(select(files).where(files.c.site == site, files.c.lsid.in_(part))):
                    out.setdefault(r.lsid, {"status": "", "files": {}})["files"][r.name] = r._asdict()
        return out

    def save_session(self, site: str, s: Any, status: str, folder: str, appliance: str, day: str) -> None:
        row = {"site": site, "lsid": s.lsid, "status": status, "start_time": s.start, "end_time": s.end,
               "day": day, "primary_rep": s.primary_rep, "reps": ", ".join(s.reps), "customer": s.customer,
               "customer_host": s.customer_host, "external_key": s.external_key, "search_text": s.text,
               "folder": folder, "appliance": appliance, "updated_at": int(time.time())}
        with self.engine.begin() as conn:
            _upsert(conn, sessions, row, ("site", "lsid"))

    def set_status(self, site: str, lsid: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.site == site, sessions.c.lsid == lsid)
                         .values(status=status, updated_at=int(time.time())))

    def save_file(self, site: str, lsid: str, name: str, kind: str, path: str, status: str, size: int = 0,
                  sha256: str = "", detail: str = "") -> None:
        row = {"site": site, "lsid": lsid, "name": name, "kind": kind, "path": path, "status": status,
               "size": size, "sha256": sha256, "detail": detail, "updated_at": int(time.time())}
        with self.engine.begin() as conn:
            _upsert(conn, files, row, ("site", "lsid", "name"))

    def run_started(self, site: str, host: str, shard: str) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(runs.insert().values(site=site, host=host, shard=shard, started_at=int(time.time())))
            return int(res.inserted_primary_key[0])

    def run_finished(self, run_id: int, **counts: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(finished_at=int(time.time()), **counts))

    def mark_pruned(self, site: str, lsid: str, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(files).where(files.c.site == site, files.c.lsid == lsid, files.c.name == name)
                         .values(status="pruned", updated_at=int(time.time())))

    # -- reading ---------------------------------------------------------------------------------------------
    def search(self, *, day_from: str | None = None, day_to: str | None = None, person: str | None = None,
               words: str | None = None, sites: list[str] | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        q = select(sessions).order_by(sessions.c.start_time, sessions.c.site).limit(limit)
        if day_from:
            q = q.where(sessions.c.day >= day_from)
        if day_to:
            q = q.where(sessions.c.day <= day_to)
        if sites:
            q = q.where(sessions.c.site.in_(sites))
        if person:
            p = f"%{person.lower()}%"
            q = q.where(or_(func.lower(sessions.c.reps).like(p), func.lower(sessions.c.primary_rep).like(p),
                            func.lower(sessions.c.customer).like(p)))
        for w in (words or "").split():
            q = q.where(func.lower(sessions.c.search_text).like(f"%{w.lower()}%"))
        with self.engine.connect() as conn:
            rows = [r._asdict() for r in conn.execute(q)]
            if rows:
                lsids = sorted({r["lsid"] for r in rows})
                by: dict[tuple[str, str], list[dict[str, Any]]] = {}
                for i in range(0, len(lsids), 500):
                    for f in conn.execute(select(files).where(files.c.lsid.in_(lsids[i:i + 500]))):
                        by.setdefault((f.site, f.lsid), []).append(f._asdict())
                for r in rows:
                    r["files"] = sorted(by.get((r["site"], r["lsid"]), []), key=lambda f: f["name"])
        return rows

    def files(self, sites: list[str] | None = None, statuses: tuple[str, ...] = ("saved",)) -> list[dict[str, Any]]:
        q = select(files, sessions.c.day).join(sessions, and_(sessions.c.site == files.c.site,
                                                              sessions.c.lsid == files.c.lsid))
        q = q.where(files.c.status.in_(statuses)).order_by(files.c.site, files.c.path)
        if sites:
            q = q.where(files.c.site.in_(sites))
        with self.engine.connect() as conn:
            return [r._asdict() for r in conn.execute(q)]

    def summary(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(select(sessions.c.site, sessions.c.status, func.count(), func.min(sessions.c.start_time),
                                         func.max(sessions.c.start_time)).group_by(sessions.c.site, sessions.c.status)):
                s = out.setdefault(r[0], {"sessions": {}, "files": {}, "first": None, "last": None, "last_run": None})
                s["sessions"][r[1]] = r[2]
                s["first"] = min(x for x in (s["first"], r[3]) if x is not None)
                s["last"] = max(x for x in (s["last"], r[4]) if x is not None)
            for r in conn.execute(select(files.c.site, files.c.status, func.count(), func.sum(files.c.size))
                                  .group_by(files.c.site, files.c.status)):
                s = out.setdefault(r[0], {"sessions": {}, "files": {}, "first": None, "last": None, "last_run": None})
                s["files"][r[1]] = {"count": r[2], "bytes": int(r[3] or 0)}
            for r in conn.execute(select(runs.c.site, func.max(runs.c.finished_at)).group_by(runs.c.site)):
                if r[0] in out:
                    out[r[0]]["last_run"] = r[1]
        return out


def _short(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
