"""The archive on disk: folders per site and day, the watermark state file, the per-site lock and run log."""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from capture.atomic import write_atomic
from capture.errors import CaptureError, ConfigError

STATE = "state.json"
STATE_VERSION = 1


def day_of(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def session_rel(site: str, lsid: str, start: int) -> str:
    """archive/<site>/<yyyy>/<mm>/<dd>/<lsid>, relative to the archive root."""
    d = day_of(start)
    return f"{site}/{d:%Y}/{d:%m}/{d:%d}/{lsid}"


def private_dir(path: Path) -> Path:
    """mkdir -p with every folder we create 0700."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        p.mkdir(mode=0o700, exist_ok=True)
        os.chmod(p, 0o700)
    return path


def check_writable(root: Path) -> None:
    try:
        private_dir(root)
        probe = root / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"archive folder {root} is not writable: {e.strerror or e}") from None


def remove_stale_parts(folder: Path) -> int:
    """Temporary files a killed run left behind: never mistaken for a finished file, removed before a retry."""
    n = 0
    if folder.is_dir():
        for p in folder.glob(".*.part"):
            p.unlink(missing_ok=True)
            n += 1
    return n


class SiteState:
    """The watermark per report type: every session that began before it is closed and fully saved."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE
        self.data: dict[str, Any] = {"version": STATE_VERSION, "watermarks": {}}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                marks = data["watermarks"]
                if data.get("version") != STATE_VERSION or not isinstance(marks, dict) or not all(
                        isinstance(v, dict) and isinstance(v.get("time"), int) for v in marks.values()):
                    raise ValueError("unexpected content")
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise ConfigError(f"state file {self.path} is damaged ({type(e).__name__}: {str(e)[:80]}); "
                                  "move it aside to archive again from --since (nothing is downloaded twice)") from None
            self.data = data

    def watermark(self, report: str) -> int | None:
        mark = self.data["watermarks"].get(report)
        return mark["time"] if mark else None

    def advance(self, report: str, when: int, last: dict[str, Any] | None) -> None:
        old = self.watermark(report)
        if old is not None and when <= old:
            return
        self.data["watermarks"][report] = {"time": int(when), "iso": day_of(int(when)).isoformat(),
                                           **({"last_session": last} if last else {})}
        write_atomic(self.path, json.dumps(self.data, indent=2) + "\n")


class SiteLock:
    """One run per site at a time (cron can overlap a slow run); released when the process ends, even killed."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> "SiteLock":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            raise CaptureError(f"{self.path.parent.name}: another bt-capture archive run holds this site") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)


class RunLog:
    """archive/<site>/log/<UTC time>.jsonl: every retry, failure and aged-out recording of one run, scrubbed."""

    def __init__(self, folder: Path, scrub: Any) -> None:
        private_dir(folder / "log")
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.path = folder / "log" / f"{stamp}.jsonl"
        self.scrub = scrub
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.counts: dict[str, int] = {}

    def __call__(self, event: str, **detail: Any) -> None:
        self.counts[event] = self.counts.get(event, 0) + 1
        line = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), "event": event, **detail}
        os.write(self.fd, (self.scrub(json.dumps(line, default=str)) + "\n").encode())

    def close(self) -> None:
        os.fsync(self.fd)
        os.close(self.fd)
