"""`bt-capture record --check`: the index, then the secret sweep again over every file a recording holds."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from capture import recording_index as index
from capture.redact import Redactor
from capture.sanitize import Sanitizer

TEXT = (".html", ".js", ".css", ".txt", ".json")


@dataclass
class CheckResult:
    folder: Path
    size: int
    files: int
    findings: list[str] = field(default_factory=list)  # "what: where (count)", never a value


def check(folder: Path, *, secrets: Iterable[str] = (), not_secret: Iterable[str] = ()) -> CheckResult:
    """ConfigError when the folder is not an intact recording; otherwise whatever the sanitizer would still
    change (it changes nothing in text it made), and anything a recording must never hold."""
    idx = index.load(folder)
    redactor = Redactor()
    redactor.add(*secrets)
    san = Sanitizer(redactor, not_secret=not_secret)
    res = CheckResult(folder, index.size(folder), len(idx["files"]) + 1)
    report = index.read_json(folder, "sanitization.json")
    if not report.get("sanitized", False):
        res.findings.append("recorded without sanitizing: sanitization.json says so")
    for row in index.read_json(folder, "exchanges.json"):
        where = f"exchanges.json #{row.get('seq')}"
        for name in row.get("headers") or {}:
            if name.lower() not in ("content-type", "location", "content-disposition", "content-length", "refresh"):
                res.findings.append(f"{name} header: {where}")
        if row.get("download") and row.get("body"):
            res.findings.append(f"bytes of a download kept: {where}")
    for rel in sorted(idx["files"]):
        if not rel.endswith(TEXT) or rel == "sanitization.json":
            continue
        text = (folder / rel).read_text(errors="replace")
        san.text(text, rel, html=rel.endswith(".html"))
    res.findings += [f"{r['what']}: {r['where']} ({r['count']})" for r in san.report()]
    return res
