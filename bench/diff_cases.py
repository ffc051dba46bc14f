"""Capture the simulated cases `bt-capture diff` is tested and timed on: a failover pair, a drifted pair, an upgrade.

Usage: python bench/diff_cases.py CASE OUT   (CASE: pair, drift, upgrade, broken; add --ocr to OCR the screenshots)
Prints the snapshot folders, one per line (for upgrade: before, then after).
"""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
import sys
from pathlib import Path
from typing import Any, Callable

from fixtures.options import Faults

CASES: dict[str, list[dict[str, Any]]] = {
    "pair": [dict(pair=True, peers_differ=True)],  # healthy, and different wherever failover allows
    "drift": [dict(pair=True, drift=True)],
    "upgrade": [dict(version="23.3"), dict(version="25.1", drop_setting="syslog")],
    "broken": [dict(pair=True, faults=Faults(http500_page="SNMP"))],  # a page neither peer could capture
}


def capture_sim(sim_kw: dict[str, Any], out: Path, *, ocr: bool = False,
                setenv: Callable[[dict[str, str]], None] = os.environ.update) -> tuple[list[Path], dict[str, str], Any]:
    """One simulator: capture every appliance (secrets through the environment, as in production).

    Returns (snapshot folders by name, the secrets' environment, capture.app's RunOutcome with its peer diffs).
    """
    from capture import app, config
    from capture.redact import Redactor
    from capture.runner import Options
    from fixtures import SimOptions, Simulator
    from fixtures.inventory import write_inventory

    sim = Simulator(SimOptions(**sim_kw)).start()
    pool = None
    try:
        # The diff reads pages and the .p12: no NSB or vault key downloads, which keeps the test captures short.
        inv_path, env = write_inventory(sim.info(), out, output=out / "snapshots", nsb="none", vault_key=False)
        setenv(env)
        inv = config.load(inv_path)
        if ocr:
            from capture.ocr import OcrPool
            pool = OcrPool()
        # In a thread of its own: a test session's sync Playwright may hold this thread's event loop.
        with ThreadPoolExecutor(1) as one:
            outcome = one.submit(asyncio.run, app.run(inv, Options(ocr=pool), redactor=Redactor(),
                                                      render=False)).result()
    finally:
        if pool is not None:
            pool.close()
        sim.stop()
    bad = [r for r in outcome.results if not r.folder]
    if bad:
        raise RuntimeError(f"capture failed: {[(r.name, r.error) for r in bad]}")
    return [r.folder for r in sorted(outcome.results, key=lambda r: r.name)], env, outcome


def capture_case(case: str, out: Path, *, ocr: bool = False) -> list[Path]:
    """Start the simulator(s) of a case, capture every appliance, stop; return the snapshot folders in order."""
    folders: list[Path] = []
    for i, kw in enumerate(CASES[case]):
        folders += capture_sim(kw, Path(out) / f"{case}{i}", ocr=ocr)[0]
    return folders


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2 or args[0] not in CASES:
        sys.exit(__doc__)
    for f in capture_case(args[0], Path(args[1]), ocr="--ocr" in sys.argv):
        print(f)
