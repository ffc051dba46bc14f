"""The output root as the binder reads it: every snapshot and diff folder, each summarised once and cached by manifest mtime and size."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from reports import view

CACHE = ".bt-binder-cache.json"
MANIFESTS = ("manifest.json", "manifest.partial.json")
DEPTH = 3  # snapshot folders may sit in sub-folders (out/2026-W48/...), not deeper


def _fingerprint() -> str:
    """Summaries are cached only as long as the code that makes them is the same."""
    h = hashlib.sha256()
    for mod in (Path(__file__), Path(view.__file__)):
        h.update(mod.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class Found:
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    diffs: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0  # manifests and diff.json files parsed (not from the cache)
    cached: int = 0
    cache: dict[str, Any] = field(default_factory=dict)  # what save() writes: one entry per file read


def _stat(path: Path) -> os.stat_result | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st if os.path.isfile(path) else None


def folders(root: Path) -> tuple[list[Path], list[Path]]:
    """(snapshot folders, diff folders) under root: a folder holding a manifest is a snapshot (a hidden
    `.NAME.partial` one too, even before its first manifest), one holding diff.json a comparison."""
    snaps: list[Path] = []
    diffs: list[Path] = []

    def walk(d: Path, depth: int) -> None:
        try:
            entries = sorted((e for e in os.scandir(d) if e.is_dir(follow_symlinks=False)), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            p = Path(e.path)
            partial = e.name.startswith(".") and e.name.endswith(".partial")
            if e.name.startswith(".") and not partial:
                continue
            if partial or any(os.path.isfile(p / m) for m in MANIFESTS):
                snaps.append(p)
            elif os.path.isfile(p / "diff.json"):
                diffs.append(p)
            elif depth < DEPTH:
                walk(p, depth + 1)

    walk(Path(root), 1)
    return snaps, diffs


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat() if dt else None


def summarise(folder: Path) -> dict[str, Any]:
    """What the binder shows of one snapshot, from its manifest alone."""
    snap, partial = view.load(folder)
    cert = view.soonest(snap)
    return {
        "label": snap.label or folder.name, "name": snap.name or folder.name, "partial": partial,
        "appliance": snap.appliance_hostname or snap.label, "site": snap.site_hostname, "role": snap.role or "",
        "version": " / ".join(x for x in (snap.product_version, snap.identity.appliance_version) if x),
        "started": _iso(snap.started_at), "finished": _iso(snap.finished_at),
        "problems": view.problems(snap, partial), "warnings": len(snap.warnings),
        "cert": cert and {"date": view.day(cert.not_after), "days": cert.days, "what": cert.what,
                          "soon": cert.days is not None and cert.days <= view.EXPIRY_DAYS},
        "peer": snap.peer and {"name": snap.peer.name, "not_compared": snap.peer.not_compared},
    }


def summarise_diff(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / "diff.json").read_text())
    if not isinstance(data, dict):
        raise ValueError("diff.json is not an object")
    return {k: data.get(k) for k in ("a", "b", "a_snapshot", "b_snapshot", "mode", "verdict", "must_match", "comparable")}


def _unfinished(folder: Path) -> dict[str, Any]:
    """A .NAME.partial folder whose capture has not saved a manifest yet (just started, or died early)."""
    label = folder.name[1:].removesuffix(".partial")
    return {"label": label, "name": folder.name, "partial": True, "appliance": label, "site": "", "role": "",
            "version": "", "started": None, "finished": None, "warnings": 0, "cert": None, "peer": None,
            "problems": ["the capture did not finish: this folder holds no manifest yet"]}


def _key(st: os.stat_result | None) -> list[int] | None:
    return [st.st_mtime_ns, st.st_size, st.st_ino] if st else None


def scan(root: Path, extra: Iterable[Path] = (), extra_diffs: Iterable[Path] = ()) -> Found:
    """Every snapshot and diff under root (plus extra folders elsewhere), with the cache in root/CACHE
    refreshed in memory; save() writes it back."""
    root = Path(root)
    snaps, diffs = folders(root)
    snaps = list(dict.fromkeys([*snaps, *(Path(f) for f in extra)]))
    diffs = list(dict.fromkeys([*diffs, *(Path(f) for f in extra_diffs)]))
    old = load_cache(root)
    found = Found()
    fresh = found.cache

    def cached(folder: Path, file: str, make: Any) -> dict[str, Any]:
        path = folder / file
        st = _stat(path)
        rel = os.path.relpath(path, root)
        hit = old.get(rel)
        if hit and st and hit.get("key") == _key(st):
            found.cached += 1
            fresh[rel] = hit
            return dict(hit["summary"])
        found.read += 1
        try:
            summary = make(folder)
        except (OSError, ValueError) as e:  # pydantic's ValidationError is a ValueError
            summary = {"error": f"unreadable: {e}".splitlines()[0][:300]}
        if st:
            fresh[rel] = {"key": _key(st), "summary": summary}
        return dict(summary)

    for f in snaps:
        manifest = next((m for m in MANIFESTS if os.path.isfile(f / m)), None)
        s = cached(f, manifest, summarise) if manifest else _unfinished(f)
        s.setdefault("label", f.name)
        s.setdefault("name", f.name)
        s["folder"] = f
        s["mtime"] = _mtime(f / manifest if manifest else f)
        found.snapshots.append(s)
    for f in diffs:
        d = cached(f, "diff.json", summarise_diff)
        d["folder"] = f
        d["mtime"] = _mtime(f / "diff.json")
        found.diffs.append(d)
    return found


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def load_cache(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(root) / CACHE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != _fingerprint():
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def save(root: Path, found: Found) -> None:
    """The cache, atomically (the caller holds the binder lock); entries of folders gone are dropped."""
    from reports.files import write_atomic

    write_atomic(Path(root) / CACHE, json.dumps({"fingerprint": _fingerprint(), "entries": found.cache}))
