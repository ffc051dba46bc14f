"""Remake the checked-in field recordings from the simulator (each is checked against its live capture).

    OMP_THREAD_LIMIT=1 .venv/bin/python tests/field/make.py [NAME ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fieldtools import make  # noqa: E402
from fixtures import SimOptions  # noqa: E402

# name → (simulator options, inventory options). The classic pages of every version; a failover pair; the
# skins bt-capture reads in full (tests/skin_report.py says which).
CASES = {
    "classic-23.3": (dict(version="23.3"), {}),
    "classic-24.1": (dict(version="24.1"), {}),
    "classic-25.1": (dict(version="25.1"), {}),
    "pair-25.1": (dict(pair=True), dict(certificate=False, vault_key=False, nsb="none")),
    "skin-slate": (dict(skin="slate"), {}),
    "skin-bomgar": (dict(skin="bomgar"), {}),
    "skin-cards": (dict(skin="cards"), {}),
    "skin-atlas": (dict(skin="atlas"), {}),
}
# Not yet replayable (left out of tests/field): portal's menu links carry a fresh token on every render, and
# a replay that reaches a page through another copy of the menu than the live run asks for a link never
# recorded (404). Try: make.py skin-portal
MORE = {"skin-portal": (dict(skin="portal"), dict(jobs=1))}


def main(names: list[str]) -> int:
    failed = 0
    for name in names or list(CASES):
        sim, inv = {**CASES, **MORE}[name]
        try:
            sizes = make(name, SimOptions(**sim), **inv)
            print(name, " ".join(f"{a}: {n // 1024} KiB" for a, n in sizes.items()))
        except Exception as e:
            failed += 1
            print(f"{name}: NOT MADE: {e}"[:600])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
