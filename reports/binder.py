"""The binder of an output root: index.html and binder.pdf, every appliance's newest snapshot with its history, and the peer diffs."""
from __future__ import annotations

import asyncio
import fcntl
import os
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterable
from urllib.parse import quote

from capture.errors import CaptureError
from reports import archive_view, binder_scan, view
from reports.binder_scan import Found
from reports.files import write_atomic
from reports.pdf import PdfRenderer

INDEX, PDF, LOCK = "index.html", "binder.pdf", ".bt-binder.lock"
PRINTED = 3  # earlier snapshots per appliance in binder.pdf (index.html lists every one)
LOCK_WAIT_S = 900.0  # another shard's binder holds the lock this long at most (a PDF of a large root)


def _rel(target: Path | str, root: Path | str) -> str:
    # Lexical, no resolve(): a link is followed from index.html as the browser sees the path, and 500
    # snapshots would cost thousands of lstat calls.
    rel = os.path.relpath(os.path.abspath(target), os.path.abspath(root))
    return "/".join(quote(p) for p in rel.split(os.sep))


def _time(s: dict[str, Any]) -> datetime:
    """When a snapshot was taken (the capture's start; the manifest's mtime for a folder without one)."""
    return view.dt(s.get("started")) or datetime.fromtimestamp(s.get("mtime") or 0, timezone.utc)


def _outcome(s: dict[str, Any]) -> tuple[str, str]:
    if s.get("error"):
        return "unreadable", "failed"
    if s.get("partial"):
        return "partial", "warn"
    n = len(s.get("problems") or [])
    return ("complete", "ok") if not n else (f"{n} problem{'s' * (n != 1)}", "failed")


def _file(folder: Path, name: str, root: Path) -> str | None:
    path = os.path.join(folder, name)
    return _rel(path, root) if os.path.isfile(path) else None


def _entry(s: dict[str, Any], root: Path) -> dict[str, Any]:
    """One snapshot as a line of the binder: when, outcome, link."""
    text, css = _outcome(s)
    folder = Path(s["folder"])
    return {"name": s.get("name") or folder.name, "captured": view.when(_time(s)), "outcome": text, "css": css,
            "dossier": _file(folder, "dossier.html", root), "pdf": _file(folder, "dossier.pdf", root),
            "folder": _rel(folder, root) + "/"}


def _groups(snaps: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Snapshots by appliance (inventory name and site), newest first; a folder that never wrote a manifest
    joins the appliance of its name."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    loose = []
    for s in snaps:
        if not s.get("site") and (s.get("error") or s.get("partial")):
            loose.append(s)
        else:
            out.setdefault((s["label"], s.get("site") or ""), []).append(s)
    for s in loose:
        key = next((k for k in out if k[0] == s["label"]), (s["label"], ""))
        out.setdefault(key, []).append(s)
    for group in out.values():
        group.sort(key=_time, reverse=True)
    return dict(sorted(out.items(), key=lambda kv: (kv[0][1].lower(), kv[0][0].lower())))


def _appliance(group: list[dict[str, Any]], root: Path) -> dict[str, Any]:
    done = [s for s in group if not s.get("partial") and not s.get("error")]
    head = done[0] if done else group[0]
    good = next((s for s in done if not s.get("problems")), None)
    text, css = _outcome(head)
    return {"head": head, "label": head["label"], "appliance": head.get("appliance") or head["label"],
            "site": head.get("site") or "", "role": head.get("role") or "", "version": head.get("version") or "",
            "outcome": text, "css": css, "ok": css == "ok", "cert": head.get("cert"),
            "problems": list(head.get("problems") or []) or ([head["error"]] if head.get("error") else []),
            "latest": _entry(head, root), "history": [_entry(s, root) for s in group if s is not head],
            "last_good": _entry(good, root) if good and good is not head else None, "peer": None,
            # The settings timeline a run with a [history] repository writes (capture.history.write_timeline).
            "changes": _file(root / "history", f"{head['label']}.txt", root)}


def _diff_entry(d: dict[str, Any], root: Path) -> dict[str, Any]:
    folder = Path(d["folder"])
    return {"a": str(d.get("a") or "?"), "b": str(d.get("b") or "?"), "mode": d.get("mode") or "",
            "verdict": str(d.get("verdict") or d.get("error") or ""), "must_match": int(d.get("must_match") or 0),
            "comparable": d.get("comparable") is not False,
            "when": view.when(datetime.fromtimestamp(d.get("mtime") or 0, timezone.utc)),
            "html": _file(folder, "diff.html", root), "pdf": _file(folder, "diff.pdf", root),
            "snapshots": {d.get("a_snapshot"), d.get("b_snapshot")}, "mtime": d.get("mtime") or 0}


def _pairs(apps: list[dict[str, Any]], diffs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every failover pair the snapshots name or a peer diff compared: is there a diff of the newest
    snapshots of both, and if not, why (the reason the run recorded, else what is missing)."""
    by_label = {a["label"]: a for a in apps}
    keys: dict[frozenset[str], tuple[str, str]] = {}
    for a in apps:
        peer = a["head"].get("peer")
        if peer and peer.get("name"):
            keys.setdefault(frozenset((a["label"], peer["name"])), (a["label"], peer["name"]))
    for d in diffs:
        keys.setdefault(frozenset((d["a"], d["b"])), (d["a"], d["b"]))
    out = []
    for key, (x, y) in sorted(keys.items(), key=lambda kv: kv[1]):
        ax, ay = by_label.get(x), by_label.get(y)
        mine = sorted((d for d in diffs if frozenset((d["a"], d["b"])) == key), key=lambda d: -d["mtime"])
        heads = [a["head"] for a in (ax, ay) if a]
        current = next((d for d in mine if len(heads) == 2 and d["snapshots"] == {h["name"] for h in heads}
                        and all(d["mtime"] >= h.get("mtime", 0) for h in heads)), None)
        reason = None
        if current is None:
            recorded = [h["peer"]["not_compared"] for h in heads if h.get("peer") and h["peer"].get("not_compared")]
            missing = [n for n, a in ((x, ax), (y, ay)) if a is None]
            reason = "; ".join(recorded) or (f"{' and '.join(missing)} has no snapshot in this folder" if missing
                                             else "the newest snapshots of the two were not compared")
        out.append({"a": x, "b": y, "diff": current, "reason": reason,
                    "earlier": mine[0] if mine and current is None else None,
                    "bad": current is None or bool(current["must_match"]) or not current["comparable"]})
        for me, other in ((ax, y), (ay, x)):
            if me is not None and me["peer"] is None:
                me["peer"] = {"name": other, "diff": current, "reason": reason}
    return out


def model(found: Found, root: Path) -> dict[str, Any]:
    """What index.html shows, from the scanned root alone."""
    root = Path(root)
    apps = [_appliance(g, root) for g in _groups(found.snapshots).values()]
    diffs = [_diff_entry(d, root) for d in found.diffs]
    peers = [d for d in diffs if d["mode"] in ("peers", "")]
    pairs = _pairs(apps, peers)
    for a in apps:  # named on the appliance too; counted once, with its pair
        p = a["peer"]
        if p and p["diff"] and p["diff"]["must_match"]:
            a["problems"].append(f"differs from the failover peer {p['name']} ({p['diff']['verdict']})")
    bad = sum(not a["ok"] for a in apps) + sum(p["bad"] for p in pairs)
    sites = sorted({a["site"] for a in apps if a["site"]})
    return {"apps": apps, "pairs": pairs, "others": [d for d in diffs if d not in peers], "bad": bad,
            "snapshots": len(found.snapshots), "sites": sites,
            "title": ", ".join(sites) if 0 < len(sites) <= 3 else f"{len(sites)} sites" if sites else "Recovery binder",
            "expiry_days": view.EXPIRY_DAYS, "rendered": view.when(datetime.now(timezone.utc)), "printed": PRINTED,
            "archive": archive_view.rows(root)}


def render_html(found: Found, root: Path) -> Path:
    from reports.dossier import templates

    html = templates().get_template("binder.html.j2").render(**model(found, root))
    return write_atomic(Path(root) / INDEX, html)


@asynccontextmanager
async def locked(root: Path, wait_s: float = LOCK_WAIT_S) -> AsyncIterator[None]:
    """One binder at a time per root (shards finishing together): an flock on root/LOCK, waited for
    without blocking the event loop. Each holder rebuilds from disk, so the last one sees every snapshot."""
    fd = os.open(Path(root) / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CaptureError(f"{root}: another bt-capture binder has held {LOCK} for {wait_s:.0f} s") from None
                await asyncio.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


async def update(root: Path, pdf: PdfRenderer | None, *, folders: Iterable[Path] = (),
                 diff_folders: Iterable[Path] = ()) -> Path:
    """Rebuild index.html (and binder.pdf, with a renderer) of root from what is on disk; both are replaced
    by a rename, never left half-written. folders/diff_folders: ones outside root to list as well."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    async with locked(root):
        found = binder_scan.scan(root, folders, diff_folders)
        index = render_html(found, root)
        if pdf is not None:
            sites = sorted({s.get("site") or "" for s in found.snapshots} - {""})
            names = ", ".join(sites) if 0 < len(sites) <= 3 else f"{len(sites)} sites" if sites else "BeyondTrust"
            try:
                await pdf.render(index, root / PDF, title="Recovery binder", header=f"{names} · recovery binder")
            except BaseException:
                (root / PDF).unlink(missing_ok=True)  # a binder.pdf older than index.html must not look current
                raise
        binder_scan.save(root, found)
    return index
