"""A snapshot's settings as stable text files for a git history: one file per area, no volatile values, secrets as set."""
from __future__ import annotations

import re
from typing import Any

import flows.settings as model
from capture.records import Snapshot
from flows.diffrules import DiffRules
from flows.settings.paths import leaves

_OTHER = re.compile(r"^other\[([^ /\]]+)")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_of(path: str) -> str:
    """The file a value goes in: its part of the model ("snmp.txt"), or for values the model does not name,
    their page ("other/appliance.users.txt")."""
    m = _OTHER.match(path)
    if m:
        return f"other/{_UNSAFE.sub('_', m.group(1))}.txt"
    top = re.split(r"[.\[(]", path, maxsplit=1)[0]
    if top == "login":  # the Failover page is an area of its own; the rest of /login's named values together
        return "login/failover.txt" if path.startswith("login.failover") else "login/login.txt"
    return f"{_UNSAFE.sub('_', top)}.txt"


def _line(path: str, shown: str | None) -> str:
    # One line per value, a multi-line one (an agreement's text) with its breaks as \n: each diff line is a field.
    value = "" if shown is None else "\\n".join(ln.rstrip() for ln in shown.splitlines())
    return f"{path} = {value}".rstrip()


def render(snap: Snapshot, rules: DiffRules | None = None) -> dict[str, str]:
    """{relative file name: text}. The same settings always give the same bytes: values in model order,
    nothing that changes by itself (the diff rules' volatile class), secrets only as set / not set."""
    rules = rules or DiffRules.load()
    values, absent = leaves(model.of(snap))
    files: dict[str, list[str]] = {}
    for path, leaf in values.items():
        if rules.classify(path, mode="upgrade")[0] == "volatile":
            continue
        files.setdefault(_file_of(path), []).append(_line(path, leaf.shown))
    for path in sorted(absent):
        if rules.classify(path, mode="upgrade")[0] != "volatile":
            files.setdefault(_file_of(path), []).append(f"{path} = (not captured)")
    return {name: "\n".join(lines) + "\n" for name, lines in sorted(files.items())}


def summary(snap: Snapshot) -> dict[str, Any]:
    """What a history commit message names: the appliance, its version and serial, the outcome."""
    ident = snap.identity
    problems = [f"{f.step}: {f.error}" for f in snap.failures]
    return {"name": snap.label or snap.name, "version": ident.appliance_version or snap.product_version or "",
            "serial": ident.serial_number or "", "site": snap.site_hostname, "snapshot": snap.name,
            "outcome": "complete" if not problems else f"{len(problems)} problem(s)", "problems": problems,
            "captured": snap.started_at.isoformat() if snap.started_at else None}
