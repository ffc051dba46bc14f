"""Samples a process tree every 0.2 s: summed RSS and PSS, and CPU seconds per kind of process, with timestamps."""
from __future__ import annotations

import threading
import time

import psutil

KINDS = ("bt-capture (python)", "OCR workers + tesseract", "Playwright driver (node)", "Chromium", "simulator", "other")


def kind(p: psutil.Process, root: int, extra: set[int]) -> str:
    name = p.name().lower()
    if p.pid in extra or any(a.pid in extra for a in _parents(p)):
        return "simulator"
    if "chrom" in name:
        return "Chromium"
    if name.startswith("node") or "playwright" in name:
        return "Playwright driver (node)"
    if p.pid == root:
        return "bt-capture (python)"
    if name.startswith("python") or name == "tesseract":
        return "OCR workers + tesseract"
    return "other"


def _parents(p: psutil.Process) -> list[psutil.Process]:
    try:
        return p.parents()
    except psutil.Error:
        return []


class TreeSampler:
    """RSS summed over Chromium's processes counts shared pages once per process, so it overstates what
    the tree holds; PSS splits shared pages fairly and is the better "real memory" figure.

    CPU is user + system time of each process; an OCR pool worker also counts its reaped tesseract runs
    (tesseract itself is skipped, so nothing counts twice). A process that ends between two samples
    loses at most its last 0.2 s.
    """

    def __init__(self, pid: int, interval: float = 0.2, extra: list[int] = ()) -> None:
        self.root = psutil.Process(pid)
        self.extra = set(extra)
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []  # (time.time(), rss, pss)
        self.cpu: list[tuple[float, dict[int, tuple[str, float]]]] = []  # (time, {pid: (kind, cpu seconds)})
        self._kinds: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _procs(self) -> list[psutil.Process]:
        out: list[psutil.Process] = []
        for pid in [self.root.pid, *self.extra]:
            try:
                p = self.root if pid == self.root.pid else psutil.Process(pid)
                out += [p, *p.children(recursive=True)]
            except psutil.Error:
                continue
        return out

    def _one(self) -> None:
        now = time.time()
        rss = pss = 0
        cpu: dict[int, tuple[str, float]] = {}
        for p in self._procs():
            try:
                k = self._kinds.get(p.pid) or self._kinds.setdefault(p.pid, kind(p, self.root.pid, self.extra))
                if k != "simulator":
                    m = p.memory_full_info()
                    rss += m.rss
                    pss += getattr(m, "pss", m.rss)
                if p.name() != "tesseract":
                    t = p.cpu_times()
                    # Children's times only for OCR pool workers (their reaped tesseract runs). Anywhere else
                    # they would count twice: a Chromium zygote reaps renderers we already sampled, and the
                    # driver reaps all of Chromium when the browser closes.
                    own = k == "OCR workers + tesseract" and p.ppid() != self.root.pid
                    cpu[p.pid] = (k, t.user + t.system + ((t.children_user + t.children_system) if own else 0.0))
            except psutil.Error:
                continue
        if rss:
            self.samples.append((now, rss, pss))
        self.cpu.append((now, cpu))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._one()
            self._stop.wait(self.interval)

    def start(self) -> "TreeSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def peak(self, start: float = 0.0, end: float = float("inf")) -> tuple[int, int]:
        """(peak RSS, peak PSS) in bytes between two time.time() instants (widened to the samples around them)."""
        pad = self.interval * 1.5
        inside = [s for s in self.samples if start - pad <= s[0] <= end + pad] or self.samples[-1:]
        return (max((s[1] for s in inside), default=0), max((s[2] for s in inside), default=0))

    def at(self, when: float) -> tuple[int, int]:
        """The sample nearest before `when` (the tree's size as a step began)."""
        before = [s for s in self.samples if s[0] <= when] or self.samples[:1]
        return (before[-1][1], before[-1][2]) if before else (0, 0)

    def cpu_between(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds each kind of process used between two instants."""
        before = [c for t, c in self.cpu if t <= start]
        after = [c for t, c in self.cpu if t <= end] or [{}]
        first, last = (before[-1] if before else {}), after[-1]
        seen: dict[int, tuple[str, float]] = {}
        for t, c in self.cpu:  # each process's last value in the window (some end before it does)
            if start < t <= end:
                seen.update(c)
        out = {k: 0.0 for k in KINDS}
        for pid, (k, v) in seen.items():
            out[k] += max(0.0, last.get(pid, (k, v))[1] - first.get(pid, (k, 0.0))[1])
        return out
