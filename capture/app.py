"""One capture run end to end: inventory → runner → peer diffs → dossiers and binder → exit code."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capture.config import Inventory
from capture.errors import CaptureError
from capture.redact import Redactor, ScrubFilter
from capture.runner import Options, Progress, Result, Runner

log = logging.getLogger("bt-capture")


class RichProgress(Progress):
    """One bar per appliance on stderr: which step it is on, and how it ended."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as RP, TextColumn, TimeElapsedColumn

        self.rp = RP(TextColumn("[bold]{task.fields[name]:<12}"), BarColumn(), MofNCompleteColumn(),
                     TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> "RichProgress":
        self.rp.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.rp.stop()

    def start(self, name: str, total: int) -> None:
        self.tasks[name] = self.rp.add_task("starting", total=total, name=name)

    def step(self, name: str, what: str) -> None:
        if name in self.tasks:
            self.rp.update(self.tasks[name], advance=1, description=what)

    def done(self, name: str, status: str) -> None:
        if name in self.tasks:
            t = self.tasks[name]
            self.rp.update(t, completed=self.rp.tasks[t].total, description=status)


@dataclass
class RunOutcome:
    results: list[Result]
    diffs: list[dict[str, Any]] = field(default_factory=list)
    binder: Path | None = None

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.results] + [1 for d in self.diffs if d.get("must_match", 0)
                                                         or d.get("comparable") is False]
        return max(codes, default=0)


def setup_logging(redactor: Redactor, verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubFilter(redactor))
    handler.setFormatter(logging.Formatter("%(asctime)s bt-capture: %(message)s" if verbose > 1 else "bt-capture: %(message)s"))
    root = logging.getLogger("bt-capture")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


async def run(inv: Inventory, options: Options, *, redactor: Redactor, render: bool = True,
              names: list[str] | None = None) -> RunOutcome:
    apps = [a for a in inv.appliance if not names or a.name in names]
    runner = Runner(inv, options, redactor=redactor)
    runner.keep_browser = render  # the dossiers print in the capture's Chromium: no second launch
    try:
        return await _after_capture(inv, runner, await runner.run(apps), render)
    finally:
        await runner.close()


async def _after_capture(inv: Inventory, runner: Runner, results: list[Result], render: bool) -> RunOutcome:
    outcome = RunOutcome(results)
    by_name = {r.name: r for r in results}
    try:
        from reports import diff as rdiff  # the peer diff lives with the reports; it reads snapshots only
    except ImportError:  # pragma: no cover - during bring-up
        rdiff = None
    if rdiff is not None:
        for a, b in inv.pairs():
            ra, rb = by_name.get(a), by_name.get(b)
            if ra and rb and ra.folder and rb.folder:
                try:
                    outcome.diffs.append(await asyncio.to_thread(rdiff.peer_diff, ra.folder, rb.folder, Path(inv.output)))
                except Exception as e:  # a failed comparison is reported, never the end of the run
                    log.error("diff %s ↔ %s failed: %s", a, b, e)
                    outcome.diffs.append({"a": a, "b": b, "verdict": f"comparison failed: {e}", "must_match": 1,
                                          "error": str(e)})
    if render:
        try:
            from reports import dossier
        except ImportError:  # pragma: no cover - during bring-up
            dossier = None
        if dossier is not None:
            folders = [r.folder for r in results if r.folder]
            await dossier.render_all(folders, outcome.diffs, Path(inv.output), browser=inv.browser,
                                     running=runner.browser.browser if runner.browser else None)
            if len(folders) > 1:
                outcome.binder = Path(inv.output) / "index.html"
    return outcome


def shard(apps: list[Any], spec: str | None) -> list[Any]:
    """--shard i/n: a deterministic slice of the inventory (by name), for cron on several hosts or a CI matrix."""
    if not spec:
        return apps
    try:
        i, n = (int(x) for x in spec.split("/"))
        if not 1 <= i <= n:
            raise ValueError
    except ValueError:
        raise CaptureError("--shard takes i/n with 1 <= i <= n, e.g. 2/4") from None
    import zlib

    return [a for a in apps if zlib.crc32(a.name.encode()) % n == i - 1]


def cpu_jobs() -> int:
    return max(1, (os.cpu_count() or 2))


def run_sync(coro: Any) -> Any:
    return asyncio.run(coro)
