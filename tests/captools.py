"""Test helpers for end-to-end captures: run bt-capture against a simulator, sweep outputs for secrets."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import stat
from pathlib import Path
from typing import Any

from capture import app as runapp
from capture import config
from capture.redact import Redactor
from capture.runner import Options
from fixtures.inventory import write_inventory


def capture(sim: Any, folder: Path, *, ocr: Any = None, render: bool = False, env_extra: dict[str, str] | None = None,
            monkeypatch: Any = None, names: list[str] | None = None, layers: Any = None,
            redactor: Redactor | None = None, **inventory: Any) -> tuple[Any, dict[str, str]]:
    """Capture every appliance of a running simulator into folder; returns (RunOutcome, secret env)."""
    inv_path, env = write_inventory(sim.info(), folder, **inventory)
    env.update(env_extra or {})
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        inv = config.load(inv_path)
        opts = Options(ocr=ocr) if layers is None else Options(ocr=ocr, layers=layers)
        outcome = run_async(runapp.run(inv, opts, redactor=redactor or Redactor(), render=render, names=names))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return outcome, env


def run_async(coro: Any) -> Any:
    """asyncio.run in a thread of its own: a session's sync Playwright may hold this thread's event loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def secrets_of(sim: Any, env: dict[str, str]) -> list[str]:
    """Every canary the simulator holds plus every secret the inventory's environment carries."""
    values = set(sim.info()["canaries"]) | {v for k, v in env.items()}
    return sorted(v for v in values if v and len(v) >= 6)


def sweep(root: Path, secrets: list[str], *, skip_binary_artifacts: bool = True) -> list[str]:
    """Paths (and the secret found) of every file under root containing a secret in its bytes.

    Backup files (.nsb/.p12/vault key) are encrypted blobs made by the appliance and are skipped;
    everything bt-capture writes itself (manifest, HTML, JSON, OCR words, logs) is searched.
    """
    hits = []
    needles = [(s, s.encode()) for s in secrets]
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        if skip_binary_artifacts and p.parent.name == "artifacts":
            continue
        data = p.read_bytes()
        for s, b in needles:
            if b in data:
                hits.append(f"{p}: {s[:6]}…")
    return hits


def modes(root: Path) -> list[str]:
    """Files not 0600 or folders not 0700 under a snapshot folder."""
    bad = []
    for p in [root, *root.rglob("*")]:
        m = stat.S_IMODE(p.stat().st_mode)
        if p.is_dir() and m != 0o700:
            bad.append(f"{p} {m:o}")
        elif p.is_file() and p.suffix in (".p12", ".nsb", ".bin", ".json", ".png") and m != 0o600:
            bad.append(f"{p} {m:o}")
    return bad


def values(snap: Any, flow: str) -> dict[str, str]:
    rec = snap.page(flow)
    return {f.label: f.value for s in rec.sections for f in s.fields} if rec else {}


CANARY = re.compile(r"c\s*a\s*n\s*a\s*r\s*[yv]", re.I)  # every simulator canary starts with CANARY


def read_pdfs(root: Path) -> dict[Path, str]:
    """The text of every PDF under root (pdftotext)."""
    import simhelpers

    simhelpers.require_tool("pdftotext")
    return {p: subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True,
                              check=True).stdout for p in root.rglob("*.pdf")}


def read_images(root: Path, pool: Any) -> dict[Path, str]:
    """What tesseract reads on every image under root (screenshots, failure shots, diff overlays)."""
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return {p: out.text for p, out in zip(paths, pool.map(paths))}


def text_leaks(texts: dict[Any, str], secrets: list[str]) -> list[str]:
    """Where a secret shows in these texts: exactly, as OCR misreads it, or as any canary's marker."""
    from capture.ocr_text import TextIndex

    hits = []
    for where, text in texts.items():
        index = TextIndex(text)
        for s in secrets:
            if s in text or (len(s) >= 16 and index.has(s)):
                hits.append(f"{where}: {s[:6]}…")
        if CANARY.search(text):
            hits.append(f"{where}: canary marker")
    return hits


def full_sweep(root: Path, secrets: list[str], pool: Any, *, logs: str = "", images: bool = True) -> list[str]:
    """Every output: file bytes, PDF text, logs and (with images) the OCR of every image."""
    hits = sweep(root, secrets) + text_leaks(read_pdfs(root), secrets) + text_leaks({"logs": logs}, secrets)
    texts = {p: p.read_text(errors="replace") for p in root.rglob("*") if p.suffix in (".json", ".html", ".txt", ".log")}
    hits += [f"{p}: canary marker" for p, t in texts.items() if CANARY.search(t)]  # a piece of a secret, too
    if images:
        hits += text_leaks(read_images(root, pool), secrets)
    return hits
