"""One site's archive run: list sessions window by window, save reports and recordings, advance the watermark."""
from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capture.archive import reporting as rp
from capture.archive.client import ReportingClient, Saved
from capture.archive.layout import SiteState, private_dir, remove_stale_parts, session_rel
from capture.atomic import write_atomic
from capture.errors import CaptureError, ConfigError, DownloadError

SETTLE = 300  # the newest five minutes are listed again next run: the API lags behind session ends


@dataclass
class Tally:
    sessions: int = 0  # sessions completed by this run
    running: int = 0
    files: int = 0
    bytes: int = 0
    aged_out: int = 0
    skipped: int = 0  # already complete in the catalog
    failures: list[str] = field(default_factory=list)


@dataclass
class Pending:
    """A session whose report is handled; its recordings (wanted) follow once the window's reports are in."""

    lsid: str
    status: str  # running or failed now; "" until its recordings are done
    begun: int | None = None
    session: rp.Session | None = None
    rel: str = ""
    day: str = ""
    wanted: list[tuple[str, dict[str, str], str]] = field(default_factory=list)


def _prepare(folder: Path) -> None:
    private_dir(folder)
    remove_stale_parts(folder)  # what a killed run left: never taken for a finished file


def _have(root: Path, row: dict[str, Any] | None) -> bool:
    """Already handled: saved and still on disk, aged out on the appliance, or pruned here on purpose."""
    return bool(row) and (row["status"] in ("aged_out", "pruned") or
                          (row["status"] == "saved" and (root / row["path"]).exists()))


class SiteArchiver:
    def __init__(self, site: str, client: ReportingClient, catalog: Any, root: Path, state: SiteState,
                 settings: Any, log: Any, appliance: str) -> None:
        self.site, self.client, self.catalog, self.root = site, client, catalog, root
        self.state, self.settings, self.log, self.appliance = state, settings, log, appliance
        self.tally = Tally()
        self.gate = asyncio.Semaphore(settings.concurrency)

    async def run(self, since: int | None, until: int | None) -> Tally:
        now = int(time.time())
        mark = self.state.watermark(rp.REPORT_TYPE)
        if since is not None:
            start = since
        elif mark is not None:
            start = mark - self.settings.overlap_minutes * 60
        else:
            start = now - self.settings.first_days * 86400
        end = min(until or now, now)
        contiguous = mark is None or start <= mark  # only then may this run move the watermark
        step = int(self.settings.window_hours * 3600)
        blocked: int | None = None  # start of the earliest session not fully saved
        last: dict[str, Any] | None = None
        t = start
        while t < end:
            hi = min(t + step, end)
            found = await self._window(t, hi)
            for lsid, (status, begun) in sorted(found.items(), key=lambda kv: kv[1][1]):
                if status != "complete":
                    blocked = begun if blocked is None else min(blocked, begun)
                elif blocked is None or begun < blocked:
                    last = {"lsid": lsid, "start": begun}
            if contiguous:
                self.state.advance(rp.REPORT_TYPE, min(blocked if blocked is not None else hi, now - SETTLE), last)
            t = hi
        return self.tally

    async def _window(self, lo: int, hi: int) -> dict[str, tuple[str, int]]:
        root = rp.parse(await self.client.call(rp.listing(lo, hi - lo)))
        err = rp.error_text(root)
        if err is not None:
            kind = rp.classify(err)
            if kind == "no_data":
                return {}
            if kind == "denied":
                raise ConfigError(f"{self.site}: the API account may not read reports: {err}")
            raise CaptureError(f"{self.site}: the session listing failed: {err}")
        listed = rp.parse_listing(root)
        known = await asyncio.to_thread(self.catalog.known, self.site, [lsid for lsid, _ in listed])
        todo = []
        for lsid, has_rec in listed:
            k = known.get(lsid)
            if k and k["status"] == "complete":
                self.tally.skipped += 1
                continue
            todo.append(self._report(lsid, has_rec, (k or {}).get("files", {})))
        # Reports first, then every recording of the window: the recordings get all the connections.
        found = await asyncio.gather(*todo)
        jobs = [(p, w) for p in found if p.wanted for w in p.wanted]
        done = await asyncio.gather(*(self._gated_recording(p, *w) for p, w in jobs))
        failed = {p.lsid for (p, _), ok in zip(jobs, done) if not ok}
        out: dict[str, tuple[str, int]] = {}
        for p in found:
            if p.session is not None and p.status == "":
                p.status = "partial" if p.lsid in failed else "complete"
                await asyncio.to_thread(self.catalog.save_session, self.site, p.session, p.status, p.rel,
                                        self.appliance, p.day)
                self.tally.sessions += p.status == "complete"
            out[p.lsid] = (p.status, lo if p.begun is None else p.begun)  # a failed report began in this window
        return out

    async def _report(self, lsid: str, has_rec: bool, prev: dict[str, dict[str, Any]]) -> Pending:
        async with self.gate:
            try:
                return await self._save_report(lsid, has_rec, prev)
            except DownloadError as e:
                self._fail(lsid, "session report", str(e))
                return Pending(lsid, "failed")

    async def _save_report(self, lsid: str, has_rec: bool, prev: dict[str, dict[str, Any]]) -> Pending:
        body = await self.client.call(rp.detail(lsid))
        root = rp.parse(body)
        err = rp.error_text(root)
        found = [s for s in rp.parse_sessions(root) if s.lsid == lsid]
        if err is not None or not found:
            self._fail(lsid, "session report", err or "the report does not describe this session")
            return Pending(lsid, "failed")
        s = found[0]
        day = time.strftime("%Y-%m-%d", time.gmtime(s.start))
        if s.end is None:  # still running: listed in the catalog, saved once it has ended
            await asyncio.to_thread(self.catalog.save_session, self.site, s, "running", "", self.appliance, day)
            self.tally.running += 1
            return Pending(lsid, "running", s.start)
        rel = session_rel(self.site, lsid, s.start)
        folder = self.root / rel
        await asyncio.to_thread(_prepare, folder)
        sha = hashlib.sha256(body).hexdigest()
        old = prev.get("session")
        if not (old and old["sha256"] == sha and (self.root / old["path"]).exists()):
            await asyncio.to_thread(write_atomic, folder / "session.xml", body)
            await asyncio.to_thread(self.catalog.save_file, self.site, lsid, "session", "report",
                                    f"{rel}/session.xml", "saved", len(body), sha)
            self._count(len(body))
        wanted = ([("recording", rp.recording(lsid), "recording")] if s.recording or has_rec else [])
        wanted += [(f"shell-{i}", rp.shell(lsid, i), "shell_recording") for i in s.shells]
        keep = [w for w in wanted if not _have(self.root, prev.get(w[0]))]
        return Pending(lsid, "", s.start, s, rel, day, keep)

    async def _gated_recording(self, p: Pending, name: str, params: dict[str, str], kind: str) -> bool:
        async with self.gate:
            return await self._recording(p.lsid, p.rel, self.root / p.rel, name, kind, params)

    async def _recording(self, lsid: str, rel: str, folder: Path, name: str, kind: str, params: dict[str, str]) -> bool:
        began, t0 = time.time(), time.perf_counter()
        fd, tmp = await asyncio.to_thread(tempfile.mkstemp, dir=folder, prefix=f".{name}.", suffix=".part")
        os.fchmod(fd, 0o600)
        try:
            with os.fdopen(fd, "w+b") as f:
                saved: Saved = await self.client.download(params, f)
                if saved.error is None:
                    await asyncio.to_thread(os.fsync, f.fileno())
            if saved.error is not None:
                Path(tmp).unlink(missing_ok=True)
                if rp.classify(saved.error) == "expired":
                    self.catalog.save_file(self.site, lsid, name, kind, f"{rel}/{name}", "aged_out", detail=saved.error)
                    self.log("aged_out", lsid=lsid, file=name, detail=saved.error)
                    self.tally.aged_out += 1
                    return True
                self._fail(lsid, name, saved.error)
                self.catalog.save_file(self.site, lsid, name, kind, f"{rel}/{name}", "failed", detail=saved.error)
                return False
            final = folder / f"{name}.{saved.kind}"
            os.replace(tmp, final)
            await asyncio.to_thread(self.catalog.save_file, self.site, lsid, name, kind, f"{rel}/{final.name}",
                                    "saved", saved.size, saved.sha256)
            self._count(saved.size)
            self.log("saved", lsid=lsid, file=final.name, bytes=saved.size, sha256=saved.sha256, at=round(began, 3),
                     seconds=round(time.perf_counter() - t0, 3))
            return True
        except DownloadError as e:
            Path(tmp).unlink(missing_ok=True)
            self._fail(lsid, name, str(e))
            self.catalog.save_file(self.site, lsid, name, kind, f"{rel}/{name}", "failed", detail=str(e)[:500])
            return False
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _count(self, size: int) -> None:
        self.tally.files += 1
        self.tally.bytes += size

    def _fail(self, lsid: str, what: str, why: str) -> None:
        self.tally.failures.append(f"{lsid} {what}: {why}")
        self.log("failure", lsid=lsid, what=what, why=why)
