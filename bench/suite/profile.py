"""Where the time goes: pyinstrument over the slowest stage of the end-to-end run (and over the run's own process)."""
from __future__ import annotations

import os
import re
from pathlib import Path

from suite import e2e, ocrbench, ours
from suite.common import Ctx, Section, load_now

OCR_STAGE = "OCR (remainder after browsing)"


def render(session_path: Path, *, flat: bool, threshold: float = 0.02, lines: int = 40) -> str:
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(str(session_path))
    text = ConsoleRenderer(unicode=True, color=False, flat=flat,
                           processor_options={"filter_threshold": threshold}).render(session)
    text = re.sub(r"\s+$", "", text, flags=re.M).strip("\n")
    text = text.replace(str(Path(__file__).resolve().parents[2]) + "/", "")
    rows = text.splitlines()
    m = re.search(r"Duration: ([\d.]+)\s+CPU time: ([\d.]+)", text)
    start = next((i for i, row in enumerate(rows) if row.startswith("Profile at")), 0)
    out = ([f"wall {float(m.group(1)):.1f} s, CPU {float(m.group(2)):.1f} s"] if m else []) + rows[start + 1:]
    return "\n".join(out[:lines] + (["…"] if len(out) > lines else []))


def ocr_profile(ctx: Ctx, folder: Path) -> Path:
    """ocr_image over the screenshots, serially in this process: preprocessing vs waiting for tesseract."""
    from pyinstrument import Profiler

    paths = ocrbench.screenshots(ctx)[:1 if ctx.quick else None]
    prof = Profiler(interval=0.002)
    prof.start()
    for p in paths:
        ocrbench.ocr_one(str(p), True)
    session = prof.stop()
    path = folder / "ocr.pyisession"
    session.save(str(path))
    return path


def run_profile(ctx: Ctx, folder: Path) -> Path:
    """A whole `bt-capture run` (one appliance) under pyinstrument, through bench/probe.py (not timed)."""
    if ctx.cache.get("run_profile"):  # --quick: benchmark 1's single run was profiled
        return Path(ctx.cache["run_profile"])
    path = folder / "run.pyisession"
    ours.capture(ctx.simulator(), folder / "run", env_extra={"BTB_PROFILE": str(path)}, keep=False)
    return path


def section(ctx: Ctx) -> Section:
    measured = load_now()
    if "e2e_slowest" not in ctx.cache:
        e2e.section(ctx)
    slowest = ctx.cache["e2e_slowest"]
    folder = ctx.folder("profile")
    sec = Section("profile", "Profile of the slowest stage", METHOD, measured=measured)
    blocks: list[tuple[str, Path]] = []
    if slowest == OCR_STAGE:
        blocks.append(("OCR, one worker's view: `capture.ocr.ocr_image` over the snapshot's screenshots",
                       ocr_profile(ctx, folder)))
    if slowest != OCR_STAGE or not ctx.quick or ctx.cache.get("run_profile"):
        blocks.append(("The `bt-capture run` process (browser stage, verification, rendering; OCR runs in workers)",
                       run_profile(ctx, folder)))
    sec.notes.append(f"Slowest stage of benchmark 1: **{slowest}**.")
    body = []
    for title, path in blocks:
        body += [f"**{title}**, functions by own time:", "", "```", render(path, flat=True, lines=18), "```", "",
                 "call tree (frames under 2% left out):", "", "```", render(path, flat=False), "```", ""]
        os.unlink(path)
    sec.method = METHOD + "\n" + "\n".join(body)
    return sec


METHOD = """
pyinstrument (the dev extra) samples every 2 ms. The OCR stage runs in worker processes, so it is
profiled by running the workers' function, `capture.ocr.ocr_image`, over the same screenshots in one
process; the time tesseract itself spends shows as waiting on its subprocess. The run's own process is
profiled through `bench/probe.py` with `BTB_PROFILE` (plain stack sampling of `capture.app.run`: time
spent waiting for Chromium, the driver or the appliance shows as the event loop's `select`; the rest is
this process's own CPU). Chromium's and the simulator's share is in benchmark 1's CPU table. Profiled
runs are not timed.
"""
