"""The session archive's summary (archive-summary.json beside the binder) as rows for the binder."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SUMMARY = "archive-summary.json"  # written by `bt-capture archive` into the output folder


def _mb(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def _day(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def rows(root: Path) -> dict[str, Any] | None:
    """None when no archive has run; else when it was written and one row per site."""
    try:
        doc = json.loads((Path(root) / SUMMARY).read_text())
        sites = doc["sites"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    out = []
    for s in sites:
        sessions, files = s.get("sessions") or {}, s.get("files") or {}
        kept = files.get("saved") or {}
        count = lambda k: int((files.get(k) or {}).get("count", 0))  # noqa: E731
        out.append({"site": str(s.get("site", "")), "sessions": int(sessions.get("complete", 0)),
                    "running": int(sessions.get("running", 0)), "incomplete": int(sessions.get("partial", 0)),
                    "files": int(kept.get("count", 0)), "size": _mb(int(kept.get("bytes", 0))),
                    "aged_out": count("aged_out"), "pruned": count("pruned"), "failed": count("failed"),
                    "first": _day(s.get("first")), "last": _day(s.get("last")), "last_run": _day(s.get("last_run"))})
    return {"written": _day(doc.get("written")), "catalog": str(doc.get("catalog", "")), "sites": out}
