"""Failover health from both peers' Management > Failover pages: roles, backup operations, last sync, peer status."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from reports.diff_flatten import Item, SnapView

FLOW = "login.management.failover"
_BAD = re.compile(r"unreachable|fail|error|down|lost|cannot|timed? ?out|disconnected", re.I)


def _find(items: list[Item], label: str, section: str | None = None, not_section: str | None = None) -> Item | None:
    for it in items:
        if section and not re.search(section, it.section, re.I):
            continue
        if not_section and re.search(not_section, it.section, re.I):
            continue
        if re.search(label, it.label, re.I) and not it.secret:
            return it
    return None


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


def peer_state(v: SnapView) -> dict[str, Any]:
    page = v.pages.get(FLOW)
    items = page.items if page else []
    info = v.pages.get("login.status.information")
    own = _find(items, r"role|status", section=r"this host|this appliance|local") or \
        _find(items, r"failover role|this host.?s status") or \
        (_find(info.items, r"failover role|^role$") if info else None)
    role_text = own.value if own else v.snapshot.role
    peer = r"peer"
    ops = _find(items, r"backup operations")
    captured = page.record.captured_at if page and page.record and page.record.captured_at else v.snapshot.started_at
    return {
        "captured": page is not None and page.status == "ok",
        "role": role_of(role_text) or (v.snapshot.role if v.snapshot.role in ("primary", "backup", "none") else None),
        "role_text": role_text,
        "peer_hostname": (h.value if (h := _find(items, r"host ?name", section=peer)) else None),
        "peer_role": role_of(p.value) if (p := _find(items, r"role|status$", section=peer)) else None,
        "peer_status": p.value if p else None,
        "last_status_check": (c.value if (c := _find(items, r"last (status )?check|checked")) else None),
        "backup_operations": None if ops is None else ops.cmp == "on",
        "automatic_failover": (a.cmp == "on") if (a := _find(items, r"automatic failover$|^automatic failover")) else None,
        "sync_interval": (i.value if (i := _find(items, r"data.?sync interval|sync interval")) else None),
        "last_sync": (t.value if (t := _find(items, r"last (data.?)?sync( time)?$")) else None),
        "last_sync_status": (s.value if (s := _find(items, r"last (data.?)?sync status")) else None),
        "now": captured.astimezone(timezone.utc).isoformat() if captured else None,
    }


def health(a: SnapView, b: SnapView, label_a: str, label_b: str) -> dict[str, Any]:
    """Read-only checks of a failover pair; warnings say what an administrator should look at."""
    sa, sb = peer_state(a), peer_state(b)
    warn: list[str] = []
    for label, s in ((label_a, sa), (label_b, sb)):
        if not s["captured"]:
            warn.append(f"{label}: the Management > Failover page was not captured")
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
            warn.append("no last data sync time on either peer's Failover page")
    else:
        last, now = _when(src["last_sync"]), _when(src["now"])
        if last and now:
            age = int((now - last).total_seconds())
            if seconds and age > seconds:
                warn.append(f"the last data sync ({src['last_sync']}) is {_age(age)} old, longer than the "
                            f"Automatic Data-Sync Interval allows ({interval})")
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
