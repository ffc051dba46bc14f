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
    not_compared: list[dict[str, str]] = field(default_factory=list)  # failover pairs without a diff, and why
    problems: list[str] = field(default_factory=list)  # what the run was asked to do and could not (history, signing)
    evidence: dict[str, Any] = field(default_factory=dict)  # signatures, history commits, drift, hooks (capture.evidence)

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.results] + [1 for d in self.diffs if d.get("must_match", 0)
                                                         or d.get("comparable") is False]
        return max(codes + [1 if self.problems else 0], default=0)


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
              names: list[str] | None = None, gaps: list[dict[str, str]] | None = None,
              runner: type[Runner] = Runner) -> RunOutcome:
    """Capture names (default: the whole inventory); gaps: the pairs that will not be compared, and why
    (capture.shard.peer_gaps), recorded in each snapshot and reported. runner: a replay's (capture.replay)."""
    from capture.records import PeerInfo

    apps = [a for a in inv.appliance if not names or a.name in names]
    gaps = list(gaps or [])
    for g in gaps:
        log.warning("%s: no peer diff with its failover peer: %s", g["a"], g["reason"])
    peers = {g["a"]: PeerInfo(name=g["b"], not_compared=g["reason"]) for g in gaps}
    for a, b in inv.pairs():
        peers.setdefault(a, PeerInfo(name=b))
        peers.setdefault(b, PeerInfo(name=a))
    options.peers = peers  # written into each snapshot, so that the binder knows the pairs from disk alone
    runner = runner(inv, options, redactor=redactor)
    runner.keep_browser = render  # the dossiers print in the capture's Chromium: no second launch
    try:
        return await _after_capture(inv, runner, await runner.run(apps), render, gaps)
    finally:
        await runner.close()


async def _after_capture(inv: Inventory, runner: Runner, results: list[Result], render: bool,
                         gaps: list[dict[str, str]]) -> RunOutcome:
    outcome = RunOutcome(results, not_compared=list(gaps))
    by_name = {r.name: r for r in results}
    try:
        from reports import diff as rdiff  # the peer diff lives with the reports; it reads snapshots only
    except ImportError:  # pragma: no cover - during bring-up
        rdiff = None
    if rdiff is not None:
        for a, b in inv.pairs():
            ra, rb = by_name.get(a), by_name.get(b)
            if ra and rb and not (ra.folder and rb.folder):  # one side not in this run: a gap, named above
                outcome.not_compared.append({"a": a, "b": b, "reason": "; ".join(
                    f"{r.name} has no snapshot from this run ({r.error or 'failed'})" for r in (ra, rb)
                    if not r.folder)})
            if ra and rb and ra.folder and rb.folder:
                try:
                    outcome.diffs.append(await asyncio.to_thread(rdiff.peer_diff, ra.folder, rb.folder, Path(inv.output)))
                except Exception as e:  # a failed comparison is reported, never the end of the run
                    log.error("diff %s ↔ %s failed: %s", a, b, e)
                    outcome.diffs.append({"a": a, "b": b, "verdict": f"comparison failed: {e}", "must_match": 1,
                                          "error": str(e)})
    from capture import evidence

    await asyncio.to_thread(evidence.before_render, inv, outcome)
    if render:
        try:
            from reports import dossier
        except ImportError:  # pragma: no cover - during bring-up
            dossier = None
        if dossier is not None:
            folders = [r.folder for r in results if r.folder]
            # The binder covers the whole output root (other shards' and earlier runs' snapshots too).
            outcome.binder = await dossier.render_all(
                folders, outcome.diffs, Path(inv.output), browser=inv.browser, binder=True,
                running=runner.browser.browser if runner.browser else None)
    await asyncio.to_thread(evidence.after_render, inv, outcome)
    return outcome


def cpu_jobs() -> int:
    return max(1, (os.cpu_count() or 2))


def run_sync(coro: Any) -> Any:
    return asyncio.run(coro)
