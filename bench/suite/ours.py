"""Our side of a comparison: `bt-capture run` in a subprocess (through bench/probe.py), split into stages."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixtures.inventory import write_inventory
from suite.common import BENCH, PY, Proc, SimProcess, base_env, manifest, run_proc, snapshot_folders

# Stages of one run, in order; each is the wall time between two instants the probe recorded.
STAGES = ["startup", "TLS probe + browser launch", "browser (login, pages, p12, NSB, vault key)",
          "OCR (remainder after browsing)", "verification", "manifest + folder", "peer diff",
          "rendering (HTML + PDF)", "browser close", "exit"]  # the dossiers print in the capture's Chromium


@dataclass
class Run:
    proc: Proc
    timings: dict[str, Any]
    folders: list[Path]
    out: Path
    result: dict[str, Any] = field(default_factory=dict)  # the --json output
    page_records: list[dict[str, Any]] = field(default_factory=list)  # read at once: the folder may be reused

    def events(self, prefix: str) -> list[dict[str, Any]]:
        return [e for e in self.timings["events"] if e["what"].startswith(prefix)]

    def first(self, prefix: str) -> dict[str, Any] | None:
        ev = self.events(prefix)
        return min(ev, key=lambda e: e["start"]) if ev else None

    def span(self, prefix: str) -> float:
        """From the first start to the last end of the events with this prefix (0 if none)."""
        ev = self.events(prefix)
        return max(e["end"] for e in ev) - min(e["start"] for e in ev) if ev else 0.0

    def total(self, prefix: str) -> float:
        return sum(e["end"] - e["start"] for e in self.events(prefix))

    def stages(self) -> dict[str, float]:
        """Wall seconds per stage; they add up to the measured wall time of the process."""
        launch = self.proc.started
        run = self.first("runner.run")
        started = self.first("browser.start")
        interfaces = self.events("interface:")
        browse_end = max((e["end"] for e in interfaces), default=started["end"] if started else run["end"])
        ocr = self.events("ocr.collect:")
        ver = self.events("verify:")
        fin = self.events("finalize")
        close = self.first("browser.close")
        # "render" itself, not "render.pdf_launch" (now a context in the capture's Chromium)
        render = next((e for e in self.events("render") if e["what"] == "render"), None)
        end = launch + self.proc.wall
        marks = [launch, run["start"], started["end"] if started else run["start"], browse_end,
                 max((e["end"] for e in ocr), default=browse_end)]
        marks.append(max((e["end"] for e in ver), default=marks[-1]))
        marks.append(max((e["end"] for e in fin), default=marks[-1]))
        marks.append(max((e["end"] for e in self.events("peer_diff")), default=marks[-1]))
        marks.append(render["end"] if render else marks[-1])
        marks.append(close["end"] if close else marks[-1])
        marks.append(end)
        # Stages run in sequence per appliance; with several appliances they overlap, so the marks are
        # the last appliance's and each stage is "what remained" after the previous one.
        out, prev = {}, marks[0]
        for name, m in zip(STAGES, marks[1:]):
            m = max(m, prev)
            out[name] = m - prev
            prev = m
        return out

    def pages(self) -> list[dict[str, Any]]:
        return self.page_records

    def ocr_seconds(self) -> list[float]:
        return [p["ocr"]["seconds"] for p in self.pages() if p.get("ocr") and p["ocr"].get("seconds")]


def inventory(info: dict[str, Any], work: Path, **kw: Any) -> tuple[Path, dict[str, str]]:
    kw.setdefault("nsb", "auto")
    kw.setdefault("page_timeout", 60.0)  # a busy 2-core machine; a slow page is a number, not a failure
    return write_inventory(info, work, output=work / "out", **kw)


def capture(sim: SimProcess, work: Path, *, args: list[str] = (), env_extra: dict[str, str] | None = None,
            keep: bool = True, **inv: Any) -> Run:
    """One `bt-capture run --json` of every appliance the simulator serves, from a fresh output folder.

    The simulator's CPU is sampled along with ours (kept apart), to see where the machine's time goes.
    """
    if work.exists():
        shutil.rmtree(work)
    inv_path, env = inventory(sim.info, work, **inv)
    timings = work / "timings.json"
    argv = [PY, str(BENCH / "probe.py"), str(timings), "run", "-i", str(inv_path), "--json", *args]
    proc = run_proc(argv, env=base_env({**env, **(env_extra or {})}), check=False, also=[sim.proc.pid])
    if proc.rc not in (0, 1):
        raise RuntimeError(f"bt-capture run exited {proc.rc}: {proc.stderr.strip()[-1500:]}")
    result = json.loads(proc.stdout) if proc.stdout.strip() else {}
    out = work / "out"
    folders = snapshot_folders(out) if out.exists() else []
    run = Run(proc, json.loads(timings.read_text()), folders, out, result,
              [p for f in folders for p in manifest(f)["pages"]])
    problems = [p for a in result.get("appliances", []) for p in a.get("problems", [])]
    if proc.rc != 0 or problems:
        raise RuntimeError(f"bt-capture run reported problems (exit {proc.rc}): {problems[:5]}")
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return run
