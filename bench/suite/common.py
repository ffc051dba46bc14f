"""Bench plumbing: the simulator as a subprocess, process-tree memory sampling, medians, Markdown tables."""
from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from capture.browser import default_browser
from suite.sampler import TreeSampler

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
PY = sys.executable
BTC = [PY, "-m", "capture.cli"]
CHROMIUM = str(default_browser())  # the browser bt-capture runs; the floor and peers get the same binary
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
MB = 1024 * 1024


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every measured process gets: tesseract single-threaded (as the product sets it)."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONPATH=str(ROOT))
    env.update(extra or {})
    return env


class SimProcess:
    """`bt-capture simulate` in its own process, so its CPU and memory are not counted as ours."""

    def __init__(self, work: Path, *args: str) -> None:
        work.mkdir(parents=True, exist_ok=True)
        self.info_file = work / "sim-info.json"
        self.info_file.unlink(missing_ok=True)
        self.log = open(work / "sim.log", "wb")
        self.proc = subprocess.Popen([*BTC, "simulate", "--info-file", str(self.info_file), *args], cwd=ROOT,
                                     env=base_env(), stdout=subprocess.DEVNULL, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not self.info_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator did not start: {(work / 'sim.log').read_text()[-800:]}")
            time.sleep(0.05)
        self.info: dict[str, Any] = json.loads(self.info_file.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> "SimProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Proc:
    """One measured process run."""

    argv: list[str]
    rc: int
    wall: float
    started: float  # time.time() at launch
    stdout: str
    stderr: str
    sampler: TreeSampler | None = None

    @property
    def peak_rss(self) -> int:
        return self.sampler.peak()[0] if self.sampler else 0

    @property
    def peak_pss(self) -> int:
        return self.sampler.peak()[1] if self.sampler else 0


def run_proc(argv: list[str], *, env: dict[str, str] | None = None, sample: bool = True, cwd: Path = ROOT,
             timeout: float = 3600, check: bool = True, also: list[int] = ()) -> Proc:
    """Run a command, timing it from launch to exit and sampling its process tree's memory."""
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env or base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    sampler = TreeSampler(proc.pid, extra=list(also)).start() if sample else None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if sampler:
        sampler.stop()
    result = Proc(argv, proc.returncode, wall, started, out, err, sampler)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}… exited {proc.returncode}: {err.strip()[-1500:]}")
    return result


def median(xs: Iterable[float]) -> float:
    xs = list(xs)
    return statistics.median(xs) if xs else float("nan")


def spread(xs: Iterable[float], unit: str = "s", digits: int = 2) -> str:
    """'12.3 s (11.9–13.0)': the median and the range of the runs."""
    xs = list(xs)
    if not xs:
        return "–"
    m = f"{median(xs):.{digits}f}"
    return f"{m} {unit}".strip() if len(xs) == 1 else f"{m} {unit} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"


def mib(n: float) -> str:
    return f"{n / MB:,.0f} MiB"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "–"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.headers) + " |",
                 "|" + "|".join("---" for _ in self.headers) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Section:
    """One benchmark's part of docs/benchmarks.md: how it was measured, its tables, its verdicts."""

    name: str
    heading: str
    method: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    goals: list[tuple[str, bool | None, str]] = field(default_factory=list)  # (goal, met?, measured)
    measured: str = ""  # date and load when it ran

    def markdown(self) -> str:
        out = [f"## {self.heading}", "", f"_{self.measured}_", "", self.method.strip(), ""]
        for t in self.tables:
            out += [t.markdown(), ""]
        if self.goals:
            out += ["| goal | measured | met |", "|---|---|---|"]
            out += [f"| {g} | {m} | {'**yes**' if ok else 'n/a' if ok is None else '**no**'} |"
                    for g, ok, m in self.goals]
            out.append("")
        out += [f"- {n}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"


def load_now() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f})"


def snapshot_folders(out: Path) -> list[Path]:
    return sorted(p for p in Path(out).iterdir() if (p / "manifest.json").is_file())


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "manifest.json").read_text())


@dataclass
class Ctx:
    """What every benchmark gets: a scratch folder, the mode, and results other benchmarks may reuse."""

    work: Path
    quick: bool
    reps: int
    cache: dict[str, Any] = field(default_factory=dict)
    sims: dict[tuple[str, ...], SimProcess] = field(default_factory=dict)

    def simulator(self, *args: str) -> SimProcess:
        """One running simulator per set of options, shared by the benchmarks of this invocation."""
        if args not in self.sims:
            self.sims[args] = SimProcess(self.folder(f"sim{len(self.sims)}"), *args)
        return self.sims[args]

    def close(self) -> None:
        for sim in self.sims.values():
            sim.stop()
        self.sims.clear()

    def folder(self, name: str) -> Path:
        p = self.work / name
        p.mkdir(parents=True, exist_ok=True)
        return p
