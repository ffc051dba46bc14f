"""A throwaway PostgreSQL server for tests: Debian's binaries, a temp folder, a loopback port, never as root."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bin(name: str) -> str | None:
    """The newest /usr/lib/postgresql/<version>/bin/<name> (Debian keeps them off PATH), else PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4].split(".")[0]))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _account() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: use the postgres account (Debian's package makes it), else nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and there is no postgres or nobody account to run PostgreSQL as")


class PgServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="btc-pg-"))  # directly in /tmp: the server's user can reach it
        self.port = _free_port()
        self.user = _account()
        self.proc: subprocess.Popen | None = None

    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        if self.user is not None:
            setpriv = shutil.which("setpriv")
            if setpriv:
                argv = [setpriv, f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups",
                        "--", *argv]
            else:
                argv = ["runuser", "-u", self.user.pw_name, "--", *argv]
        env = dict(os.environ, LC_ALL="C", HOME=str(self.dir))
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, **kw)

    def start(self) -> "PgServer":
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        os.chmod(self.dir, 0o700)
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        data = self.dir / "data"
        out = self._run([initdb, "-D", str(data), "-U", "btc", "--auth=trust", "-E", "UTF8", "--no-sync",
                         "--no-instructions"])
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr[-800:]}")
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -F -c max_connections=60"
        out = self._run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "-t", "60", "start"])
        if out.returncode != 0:
            log = (self.dir / "log").read_text()[-800:] if (self.dir / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {out.stderr[-400:]} {log}")
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://btc@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> str:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), autocommit=True) as c:
                    c.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        pg_ctl = pg_bin("pg_ctl")
        if pg_ctl and (self.dir / "data" / "postmaster.pid").exists():
            self._run([pg_ctl, "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)
