"""docs/benchmarks.md: the machine, the method, and one marked block per benchmark (re-runs replace their block)."""
from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import psutil

from suite.common import CHROMIUM, Section

HEAD = """# Benchmarks

Written by `make bench` (`bench/run.py --out docs/benchmarks.md`); do not edit by hand. Each benchmark's
block is replaced when it is run again (`bench/run.py --only NAME`), so every block says when it ran.
`bench/run.py --quick` runs the same code at tiny sizes (the test suite does, so the script cannot rot).
"""

GENERAL = """## Method

These machines are shared and noisy (2 cores, other test suites running), so nothing here is a timed
test. Every number is a **median over runs made in the same invocation** (the range is shown in
brackets), and every comparison is a **ratio** between runs that were interleaved, so a change in load
hits both sides. The load average at the start of each benchmark is given with it. Every measured
command runs as its own process and is timed from launch to exit; memory is sampled every 0.2 s with
psutil over the whole process tree (python, the Playwright driver, Chromium, OCR workers). The
simulated appliances always run in a separate `bt-capture simulate` process.
"""


def _cmd(*argv: str) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(started: datetime) -> str:
    rows = [
        ("CPU", cpu_model()),
        ("cores", f"{os.cpu_count()} logical ({psutil.cpu_count(logical=False) or '?'} physical)"),
        ("RAM", f"{psutil.virtual_memory().total / 1024 ** 3:.1f} GiB"),
        ("kernel", f"{platform.system()} {platform.release()}"),
        ("OS", _cmd("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME")),
        ("Chromium", _cmd(CHROMIUM, "--version")),
        ("tesseract", _cmd("tesseract", "--version")),
        ("Python", platform.python_version()),
        ("Playwright (Python)", _version("playwright")),
        ("shot-scraper", _version("shot-scraper")),
        ("curl", " ".join(_cmd("curl", "--version").split()[:2])),
        ("date", started.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    return "## Machine\n\n| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows) + "\n"


def block(sec: Section) -> str:
    return f"<!-- bench:{sec.name} -->\n{sec.markdown()}<!-- /bench:{sec.name} -->\n"


def summary(blocks: list[str]) -> str:
    """Every goal of every block, in one table at the top."""
    rows = []
    for b in blocks:
        heading = re.search(r"^## (.+)$", b, re.M)
        in_goals = False
        for line in b.splitlines():
            if line.startswith("| goal | measured | met |"):
                in_goals = True
            elif in_goals and line.startswith("| ") and "---" not in line:
                rows.append(f"| {heading.group(1) if heading else ''} {line}")
            elif in_goals and not line.startswith("|"):
                in_goals = False
    if not rows:
        return ""
    return "## Goals\n\n| benchmark | goal | measured | met |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def write(path: Path, sections: list[Section], order: list[str], started: datetime) -> None:
    """Write the whole file; blocks of benchmarks not run this time are kept from the old file."""
    old = path.read_text() if path.exists() else ""
    found = re.finditer(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", old, re.S)
    blocks = {m.group(1): m.group(0) + "\n" for m in found}
    blocks.update({s.name: block(s) for s in sections})
    parts = [HEAD, summary([blocks[name] for name in order if name in blocks]), machine(started), GENERAL]
    parts += [blocks[name] for name in order if name in blocks]
    text = "\n".join(parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def now() -> datetime:
    return datetime.now(timezone.utc)
