"""Archive upkeep: re-hash every file against the catalog (verify), local retention (prune), the binder summary."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from capture.archive.catalog import Catalog
from capture.archive.client import file_sha256
from capture.atomic import write_atomic

SUMMARY = "archive-summary.json"  # beside the binder (index.html), which shows it


def verify(catalog: Catalog, root: Path, sites: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per catalogued file: ok, missing, size or hash mismatch; pruned and aged-out files as such."""
    out = []
    for f in catalog.files(sites, statuses=("saved", "pruned", "aged_out", "failed")):
        path = root / f["path"]
        row = {"site": f["site"], "lsid": f["lsid"], "name": f["name"], "path": f["path"], "status": f["status"]}
        if f["status"] != "saved":
            row["verdict"] = f["status"]
        elif not path.is_file():
            row["verdict"] = "missing"
        else:
            size, sha = file_sha256(path)
            row["verdict"] = "ok" if (size, sha) == (f["size"], f["sha256"]) else (
                "size differs" if size != f["size"] else "hash differs")
        out.append(row)
    known = {f["path"] for f in out}
    for site in sites or sorted({f["site"] for f in out}):
        for p in sorted((root / site).rglob("*")) if (root / site).is_dir() else []:
            rel = p.relative_to(root).as_posix()
            if p.is_file() and rel.count("/") == 5 and not p.name.startswith(".") and rel not in known:
                out.append({"site": site, "lsid": p.parent.name, "name": p.name, "path": rel, "status": "",
                            "verdict": "not in the catalog"})
    return out


def prune(catalog: Catalog, root: Path, days: int, sites: list[str], today: dt.date | None = None) -> list[str]:
    """Delete local files of sessions that began more than `days` days ago; the catalog marks them pruned."""
    cutoff = ((today or dt.datetime.now(dt.timezone.utc).date()) - dt.timedelta(days=days)).isoformat()
    gone = []
    for f in catalog.files(sites, statuses=("saved",)):
        if f["day"] >= cutoff:
            continue
        path = root / f["path"]
        path.unlink(missing_ok=True)
        catalog.mark_pruned(f["site"], f["lsid"], f["name"])
        gone.append(f["path"])
        folder = path.parent
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return gone


def write_summary(catalog: Catalog, target: Path, root: Path) -> Path:
    """Per site: sessions by status, files by status (count, bytes), first and last session, last run."""
    sites = catalog.summary()
    doc = {"version": 1, "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "archive": str(root), "catalog": catalog.where, "sites": []}
    for name in sorted(sites):
        s = sites[name]
        iso = {k: (dt.datetime.fromtimestamp(s[k], dt.timezone.utc).isoformat() if s[k] else None)
               for k in ("first", "last", "last_run")}
        doc["sites"].append({"site": name, "sessions": s["sessions"], "files": s["files"], **iso})
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(doc, indent=2) + "\n")
    os.chmod(target, 0o600)
    return target
