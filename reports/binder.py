"""The binder of a run: index.html and binder.pdf in the output root, one status line per appliance, offline."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reports import archive_view, view
from reports.files import write_atomic
from reports.pdf import PdfRenderer

INDEX, PDF = "index.html", "binder.pdf"


def _rel(target: Path, root: Path) -> str:
    rel = os.path.relpath(Path(target).resolve(), Path(root).resolve())
    return "/".join(quote(p) for p in Path(rel).parts)


def row(folder: Path, root: Path, diffs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    try:
        snap, partial = view.load(folder)
    except (OSError, ValueError) as e:  # pydantic's ValidationError is a ValueError
        return {"name": folder.name, "appliance": folder.name, "ok": False, "problems": [f"unreadable: {e}"],
                "dossier": None, "pdf": None, "captured": "", "cert": None, "site": "", "role": "", "version": ""}
    probs = view.problems(snap, partial)
    peer = view.peer(folder, snap, diffs)
    differs = [f"differs from the failover peer {peer.name} ({peer.verdict})"] if peer and peer.must_match else []
    cert = view.soonest(snap)
    html, pdf = folder / "dossier.html", folder / "dossier.pdf"
    return {"name": snap.label or folder.name, "appliance": snap.appliance_hostname or snap.label,
            "site": snap.site_hostname, "role": snap.role or "", "ok": not probs, "problems": probs + differs,
            "version": " / ".join(x for x in (snap.product_version, snap.identity.appliance_version) if x),
            "captured": view.when(snap.started_at),
            "cert": cert and {"date": view.day(cert.not_after), "days": cert.days, "what": cert.what,
                              "soon": cert.days is not None and cert.days <= view.EXPIRY_DAYS},
            "dossier": _rel(html, root) if html.exists() else None, "pdf": _rel(pdf, root) if pdf.exists() else None}


def diff_row(d: dict[str, Any], root: Path) -> dict[str, Any]:
    link = d.get("html")
    return {"a": Path(str(d.get("a", "?"))).name, "b": Path(str(d.get("b", "?"))).name,
            "verdict": str(d.get("verdict", "")), "must_match": int(d.get("must_match") or 0),
            "comparable": d.get("comparable") is not False,
            "html": _rel(Path(link), root) if link and Path(link).exists() else None,
            "pdf": _rel(Path(d["pdf"]), root) if d.get("pdf") and Path(d["pdf"]).exists() else None}


def render_html(folders: list[Path], diffs: list[dict[str, Any]], root: Path) -> Path:
    from reports.dossier import templates

    root = Path(root)
    rows = [row(Path(f), root, diffs) for f in folders]
    bad = sum(not r["ok"] for r in rows) + sum(1 for d in diffs if d.get("must_match") or d.get("comparable") is False)
    html = templates().get_template("binder.html.j2").render(
        rows=rows, diffs=[diff_row(d, root) for d in diffs], bad=bad, expiry_days=view.EXPIRY_DAYS,
        rendered=view.when(datetime.now(timezone.utc)), sites=sites(rows), archive=archive_view.rows(root))
    return write_atomic(root / INDEX, html)


def sites(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({r["site"] for r in rows if r["site"]})


async def render(folders: list[Path], diffs: list[dict[str, Any]], root: Path, pdf: PdfRenderer) -> Path:
    """index.html and binder.pdf (the same page printed) in root; returns index.html."""
    index = render_html(folders, diffs, root)
    names = ", ".join(sites([row(Path(f), root) for f in folders])) or "BeyondTrust"
    await pdf.render(index, Path(root) / PDF, title="Recovery binder", header=f"{names} · recovery binder")
    return index
