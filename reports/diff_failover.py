"""Failover health from both peers' settings models: roles, backup operations, last sync, the peer's status."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import flows.settings as model
from capture.records import Snapshot
from flows.settings.parts import FAILOVER_FLOW

_BAD = re.compile(r"unreachable|fail|error|down|lost|cannot|timed? ?out|disconnected", re.I)


def role_of(text: str | None) -> str | None:
    t = (text or "").casefold()
    if "primary" in t:
        return "primary"
    if "backup" in t:
        return "backup"
    if "none" in t or "not in a failover" in t or "not configured" in t:
        return "none"
    return None


def interval_seconds(text: str | None) -> int | None:
    """'Every 4 hours' → 14400; 'Never' or unreadable → None (no automatic sync to hold the peers to)."""
    t = (text or "").casefold()
    words = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400}
    for w, s in words.items():
        if w in t:
            return s
    m = re.search(r"(\d+(?:\.\d+)?)\s*(second|sec|minute|min|hour|hr|day|week)", t)
    if not m:
        m2 = re.search(r"every\s+(second|minute|hour|day|week)", t)
        if not m2:
            return None
        n, unit = 1.0, m2.group(1)
    else:
        n, unit = float(m.group(1)), m.group(2)
    mult = {"sec": 1, "min": 60, "hou": 3600, "hr": 3600, "day": 86400, "wee": 7 * 86400}
    return int(n * next(v for k, v in mult.items() if unit.startswith(k)))


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    from dateutil import parser as dparser

    try:
        d = dparser.parse(text, fuzzy=True)
    except (ValueError, OverflowError):
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _age(seconds: float) -> str:
    h, m = divmod(int(seconds) // 60, 60)
    return f"{h} h {m} min" if h else f"{m} min"


def peer_state(snap: Snapshot) -> dict[str, Any]:
    fo = model.of(snap).login.failover
    page = snap.page(FAILOVER_FLOW)
    captured = page.captured_at if page and page.captured_at else snap.started_at
    role = (fo.role.value if fo else None) or (snap.role if snap.role in ("primary", "backup", "none") else None)
    return {
        "captured": page is not None and page.status == "ok",
        "title": page.title if page else FAILOVER_FLOW,
        "role": role,
        "role_text": (fo.role_shown if fo else None) or snap.role,
        "peer_hostname": fo.peer_hostname.value if fo else None,
        "peer_role": fo.peer_role.value if fo else None,
        "peer_status": fo.peer_role_shown if fo else None,
        "last_status_check": fo.last_status_check.value if fo else None,
        "backup_operations": fo.backup_operations.value if fo else None,
        "automatic_failover": fo.automatic_failover.value if fo else None,
        "sync_interval": fo.sync_interval.value if fo else None,
        "last_sync": fo.last_sync.value if fo else None,
        "last_sync_status": fo.last_sync_status.value if fo else None,
        "now": captured.astimezone(timezone.utc).isoformat() if captured else None,
    }


def health(a: Snapshot, b: Snapshot, label_a: str, label_b: str) -> dict[str, Any]:
    """Read-only checks of a failover pair; warnings say what an administrator should look at."""
    sa, sb = peer_state(a), peer_state(b)
    warn: list[str] = []
    for label, s in ((label_a, sa), (label_b, sb)):
        if not s["captured"]:
            warn.append(f"{label}: the {s['title']} page was not captured")
        if s["role"] in (None, "none"):
            warn.append(f"{label} is not in a failover relationship (role: {s['role_text'] or 'unknown'})")
        if s["peer_status"] and _BAD.search(s["peer_status"]):
            warn.append(f"{label} reports its peer as: {s['peer_status']}")
    ra, rb = sa["role"], sb["role"]
    if ra and ra == rb and ra != "none":
        warn.append(f"both peers claim the {ra} role")
    for (la, x), (lb, y) in (((label_a, sa), (label_b, sb)), ((label_b, sb), (label_a, sa))):
        if x["peer_role"] and y["role"] and x["peer_role"] != y["role"]:
            warn.append(f"{la} sees its peer as {x['peer_role']}, but {lb} says it is {y['role']}")
    backup_label, backup = next(((lbl, s) for lbl, s in ((label_b, sb), (label_a, sa)) if s["role"] == "backup"),
                                (None, None))
    if backup is not None and backup["backup_operations"] is False:
        warn.append(f"backup operations are disabled on the backup ({backup_label})")
    src = backup if backup and backup["last_sync"] else next((s for s in (sb, sa) if s["last_sync"]), None)
    interval = next((s["sync_interval"] for s in (backup or {}, sa, sb) if s and s.get("sync_interval")), None)
    seconds = interval_seconds(interval)
    age = None
    if src is None:
        if ra in ("primary", "backup") or rb in ("primary", "backup"):
            warn.append("no last data sync time on either peer's failover page")
    else:
        last, now = _when(src["last_sync"]), _when(src["now"])
        if last and now:
            age = int((now - last).total_seconds())
            if seconds and age > seconds:
                warn.append(f"the last data sync ({src['last_sync']}) is {_age(age)} old, longer than the "
                            f"automatic sync interval allows ({interval})")
        status = src["last_sync_status"]
        if status and not re.search(r"success|ok\b|complete", status, re.I):
            warn.append(f"the last data sync did not succeed: {status}")
    return {
        "checked": True,
        "peers": {label_a: sa, label_b: sb},
        "roles": {label_a: ra, label_b: rb},
        "backup": backup_label,
        "backup_operations": backup["backup_operations"] if backup else None,
        "sync_interval": interval,
        "sync_interval_seconds": seconds,
        "last_sync": src["last_sync"] if src else None,
        "last_sync_age_seconds": age,
        "last_sync_status": src["last_sync_status"] if src else None,
        "warnings": warn,
        "ok": not warn,
    }
