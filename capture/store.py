"""Snapshot folders: naming after the Status page, atomic writes, modes 0600/0700, the manifest."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from capture.atomic import atomic_writer, write_atomic  # noqa: F401  (write_atomic: re-exported)
from capture.errors import ConfigError
from capture.records import Snapshot
from capture.redact import Redactor
from capture.verify import sha256_file  # noqa: F401  (re-exported for the capture steps)

MANIFEST = "manifest.json"
PARTIAL_MANIFEST = "manifest.partial.json"
CHUNK = 1 << 20
log = logging.getLogger("bt-capture")

# The partial manifest is rewritten as steps finish: at most every PARTIAL_EVERY_S (the steps of that
# window go out in one write; an interrupted run writes at once, see save_now). Its write and fsync happen
# on this one thread, in order, so that a slow disk never holds up the event loop (and with it every other
# appliance's browser).
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="btc-partial")
PARTIAL_EVERY_S = 0.5


def _safe(part: str | None, fallback: str) -> str:
    s = re.sub(r"[^A-Za-z0-9.+-]+", "-", (part or "").strip()).strip("-.")
    return s or fallback


def compact_time(raw: str | None, fallback: datetime) -> str:
    """'2026-11-26 02:38:11 UTC' → '2026-11-26T0238Z' (the appliance clock, as the vendor asks)."""
    when = None
    if raw:
        from dateutil import parser as dparser

        try:
            when = dparser.parse(raw, fuzzy=True)
        except (ValueError, OverflowError):
            when = None
    when = when or fallback
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H%MZ")


def snapshot_name(snap: Snapshot, fallback_host: str) -> tuple[str, list[str]]:
    """The folder name, and what it had to call "unknown" because no captured page showed it.

    On-premises, after the Status page, as the vendor asks: hostname_version_serial_base-version_time, e.g.
    support.example.com_7.3.2_SN12345_base-7.3.2_2026-11-26T0238Z (the appliance's clock). Cloud and hosted sites
    have no Status page: site-hostname_product-version_build-…_capture-time, from /login."""
    ident = snap.identity
    unknown: list[str] = []

    def part(value: str | None, what: str, fallback: str) -> str:
        if not value:
            unknown.append(what)
        return _safe(value, fallback)
    if snap.deployment == "onprem" or ident.appliance_version:
        name = "_".join([
            _safe(ident.hostname or fallback_host, "appliance"),
            part(ident.appliance_version, "appliance version", "version-unknown"),
            part(ident.serial_number, "serial number", "serial-unknown"),
            "base-" + part(ident.base_software_version, "base software version", "unknown"),
            compact_time(ident.system_time, snap.started_at or datetime.now(timezone.utc)),
        ])
        if not ident.system_time:
            unknown.append("system time (the capture time was used)")
        return name, unknown
    version, build = snap.product_version, snap.product_build
    if build and version and build.startswith(version):
        build = build[len(version):]  # "25.1.2 (b.27113) 2025-04-17": the version is already in the name
    return "_".join([
        part(ident.site_hostname or snap.site_hostname, "site hostname", "site-unknown"),
        part(version, "product version", "version-unknown"),
        "build-" + part(build, "product build", "unknown"),
        compact_time(None, snap.started_at or datetime.now(timezone.utc)),
    ]), unknown


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """One snapshot folder, built under a hidden partial name and renamed when complete."""

    def __init__(self, root: Path, label: str, redactor: Redactor, *, resume: bool = False) -> None:
        self.root = Path(root)
        self.redactor = redactor
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-test-", delete=True)
            probe.close()
        except OSError as e:
            raise ConfigError(f"output folder {self.root} is not writable: {e.strerror or e}") from None
        self.dir = self.root / f".{label}.partial"
        if self.dir.exists() and not resume:
            shutil.rmtree(self.dir)
        self.dir.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o700)
        for stale in self.dir.rglob("*.part"):  # a write the interrupted run never finished
            stale.unlink(missing_ok=True)
        self._partial: Future | None = None  # the latest partial-manifest write (earlier ones finish first)
        self._due: asyncio.TimerHandle | None = None  # a partial-manifest write waiting for its window
        self._latest: Snapshot | None = None  # what that write will contain

    def path(self, rel: str) -> Path:
        p = self.dir / rel
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return p

    def writer(self, rel: str, mode: int = 0o600) -> Any:
        """A file in the snapshot, written atomically (see atomic_writer)."""
        return atomic_writer(self.path(rel), mode)

    def write_bytes(self, rel: str, data: bytes, mode: int = 0o600) -> Path:
        return write_atomic(self.path(rel), data, mode)

    def adopt(self, src: Path, rel: str) -> Path:
        """Move a finished download into the snapshot (same filesystem: a rename), 0600."""
        final = self.path(rel)
        os.chmod(src, 0o600)
        try:
            os.replace(src, final)
        except OSError:  # another filesystem: copy through a temporary file
            with self.writer(rel) as out, open(src, "rb") as f:
                shutil.copyfileobj(f, out, CHUNK)
            Path(src).unlink(missing_ok=True)
        with open(final, "rb") as f:
            os.fsync(f.fileno())
        return final

    def load_partial(self) -> Snapshot | None:
        """The manifest an interrupted run left behind (for --resume), if it is readable."""
        try:
            return Snapshot.model_validate_json((self.dir / PARTIAL_MANIFEST).read_bytes())
        except (OSError, ValueError):
            return None

    def save_partial(self, snap: Snapshot) -> None:
        """What --resume needs if the run stops here: written within PARTIAL_EVERY_S, in the background.

        The snapshot is read on the event loop when the write is due (it is changed only there), so a
        burst of steps costs one serialisation, not one per step."""
        self._latest = snap
        if self._due is not None:
            return
        try:
            self._due = asyncio.get_running_loop().call_later(PARTIAL_EVERY_S, self._write_latest)
        except RuntimeError:  # no event loop (a synchronous caller): now
            self._write_latest()

    def _write_latest(self) -> None:
        self._due = None
        if self._latest is not None:
            data = self._manifest_bytes(self._latest, indent=None)  # compact: rewritten often
            self._latest = None
            self._partial = _WRITER.submit(self._write_partial, data)

    def save_now(self, *, wait: bool = False) -> None:
        """Write what is pending now (before the snapshot is handed to a thread; when the run is interrupted,
        with wait=True)."""
        if self._due is not None:
            self._due.cancel()
        self._write_latest()
        if wait:
            self.flush()

    def _write_partial(self, data: bytes) -> None:
        try:
            self.write_bytes(PARTIAL_MANIFEST, data)
        except OSError as e:  # it only serves --resume; the final manifest is written (and checked) at the end
            log.warning("could not save the partial manifest in %s: %s", self.dir, e.strerror or e)

    def flush(self) -> None:
        """Wait for the partial-manifest writes still in flight (one still waiting for its window is dropped:
        the caller writes the final manifest next)."""
        if self._due is not None:
            self._due.cancel()
            self._due, self._latest = None, None
        if self._partial is not None:
            self._partial.result()
            self._partial = None

    def _manifest_bytes(self, snap: Snapshot, indent: int | None) -> bytes:
        data = self.redactor.scrub_obj(snap.model_dump(mode="json"))
        return (json.dumps(data, indent=indent) + "\n").encode()

    def _write_manifest(self, snap: Snapshot, name: str, indent: int | None = 2) -> None:
        self.write_bytes(name, self._manifest_bytes(snap, indent))

    def finalize(self, snap: Snapshot, name: str) -> Path:
        """Prefix every file with the snapshot name, write manifest.json, rename the folder into place."""
        self.flush()
        # Two captures within one minute of the appliance clock would share a name: the later one is "-2".
        base, n = name, 2
        while (self.root / name).exists():
            name = f"{base}-{n}"
            n += 1
        for page in snap.pages:
            if page.screenshot:
                page.screenshot = self._prefix(page.screenshot, name)
            if page.ocr and page.ocr.words_path:
                page.ocr.words_path = self._prefix(page.ocr.words_path, name)
        for f in snap.failures:
            if f.screenshot:
                f.screenshot = self._prefix(f.screenshot, name)
        for a in snap.artifacts:
            a.path = self._prefix(a.path, name)
        snap.name = name
        self._write_manifest(snap, MANIFEST)
        (self.dir / PARTIAL_MANIFEST).unlink(missing_ok=True)
        final = self.root / name
        os.replace(self.dir, final)
        _fsync_dir(self.root)
        self.dir = final
        return final

    def _prefix(self, rel: str, name: str) -> str:
        p = Path(rel)
        if p.name.startswith(name):
            return rel
        new = str(p.with_name(f"{name}__{p.name}"))
        src = self.dir / rel
        if src.exists():
            os.replace(src, self.dir / new)
        return new
