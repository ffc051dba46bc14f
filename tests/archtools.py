"""Test helpers for `bt-capture archive`: an inventory for a simulator, the command as a subprocess, expectations."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fixtures.inventory import write_inventory

ROOT = Path(__file__).resolve().parents[1]


def inventory(sim: Any, folder: Path, extra: str = "", **kw: Any) -> tuple[Path, dict[str, str]]:
    """An inventory whose first run looks back 3 days (the simulated history is 2 days long)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_inventory(sim.info(), folder, output=folder / "out",
                           extra="\n[archive]\nfirst_days = 3\nconcurrency = 3\n" + extra, **kw)


def archive(inv: Path, env: dict[str, str], *args: str, timeout: float = 240) -> tuple[int, Any, str]:
    """(exit code, the --json result or stdout, stderr) of `bt-capture archive`."""
    argv = [sys.executable, "-m", "capture.cli", "archive", *args]
    if args[:1] not in (("search",), ("verify",)):
        argv += ["-i", str(inv), "--json"]
    proc = subprocess.run(argv, cwd=ROOT, env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=timeout)
    try:
        out: Any = json.loads(proc.stdout)
    except ValueError:
        out = proc.stdout
    return proc.returncode, out, proc.stderr


def expected_files(sim: Any, site: str | None = None) -> dict[str, dict[str, Any]]:
    """{lsid: {name: None (aged out) or True}} for every closed session the simulator holds."""
    out: dict[str, dict[str, Any]] = {}
    for s in sim.sessions(site).sessions:
        if s.end is None:
            continue
        files: dict[str, Any] = {"session": True}
        if s.recording:
            files["recording"] = None if s.expired else True
        for i in range(s.shells):
            files[f"shell-{i}"] = True
        out[s.lsid] = files
    return out


def recording_hashes(sim: Any) -> dict[tuple[str, str], str]:
    """(lsid, name) → SHA-256 of every complete recording the simulator sent."""
    out = {}
    for e in sim.events("download"):
        d = e["detail"]
        if e["action"] == "reporting.recording" and d.get("complete"):
            out[(d["lsid"], "recording" if d["instance"] is None else f"shell-{d['instance']}")] = d["sha256"]
    return out


def on_disk(root: Path) -> dict[tuple[str, str], str]:
    """(lsid, file name) → SHA-256 of every finished file under archive/<site>/<y>/<m>/<d>/<lsid>/."""
    out = {}
    for p in root.glob("*/*/*/*/*/*"):
        if p.is_file():
            out[(p.parent.name, p.name)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def reporting_actions(sim: Any) -> list[str]:
    return [e["action"] for e in sim.events("all") if e["action"].startswith("reporting.")]
