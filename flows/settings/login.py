"""The /login parts of the model: software version and build, failover, the pre-shared key, API accounts."""
from __future__ import annotations

from flows.settings.model import ApiAccount, Event, Failover, Login, Software, Text
from flows.settings.read import Reader, blank, flag


def role(text: str | None) -> str | None:
    """'Primary Site Instance' → primary; 'None (not in a failover relationship)' → none."""
    t = (text or "").casefold()
    for word in ("primary", "backup"):
        if word in t:
            return word
    if "none" in t or "not in a failover" in t or "not configured" in t or "standalone" in t:
        return "none"
    return None


def software(info: Reader, sw: Reader) -> Software | None:
    if not (info.ok or sw.ok):
        return None
    out = Software(product_version=info.text("Product Version"), product_build=info.text("Product Build"),
                   api_version=info.text("API Version"))
    # The Software page repeats them (its "Current Version" also names the product): the fallback.
    for attr, label in (("product_version", "Product Version"), ("product_build", "Product Build")):
        shown = sw.text(label)
        if getattr(out, attr).value is None and shown.value is not None:
            setattr(out, attr, shown)
    return out


def failover(fo: Reader, info: Reader) -> Failover | None:
    shown = info.text("Failover Role")
    if not fo.ok:
        if shown.value is None:
            return None
        return Failover(role=Text(value=role(shown.value), src=shown.src), role_shown=shown.value)
    peer = lambda title: fo.vocab.has(title, "peer")  # noqa: E731
    own = lambda title: not peer(title)  # noqa: E731
    mine = fo.text("Role", where=own)
    if mine.value is None:
        mine = shown
    out = Failover(role=Text(value=role(mine.value), src=mine.src), role_shown=mine.value,
                   status_role=Text(value=role(shown.value), src=shown.src),
                   hostname=fo.text("Hostname", where=own), peer_hostname=fo.text("Hostname", where=peer))
    theirs = fo.text("Role", where=peer)
    out.peer_role = Text(value=role(theirs.value), src=theirs.src)
    out.peer_role_shown = theirs.value
    out.last_status_check = fo.text("Last Status Check")
    out.backup_operations = fo.flag("Enable Backup Operations")
    out.automatic_failover = fo.flag("Automatic Failover")
    out.sync_interval = fo.text("Automatic Data-Sync Interval")
    out.bandwidth_limit = fo.text("Data-Sync Bandwidth Limit")
    out.last_sync = fo.text("Last Data Sync Time")
    out.last_sync_status = fo.text("Last Data Sync Status")
    for si, ti, t, cols in fo.tables("Time", optional=("Event",)):
        for ri, row in enumerate(t.rows):
            if len(row) < 2:
                continue
            fo.use_row(si, ti, ri)
            ev = cols["Event"]
            out.history.append(Event(time=row[cols["Time"]], event=row[ev] if ev is not None and ev < len(row)  # type: ignore[index]
                                     else " ".join(c for i, c in enumerate(row) if i != cols["Time"])))
    out.settings = fo.settings()
    return out


def login(info: Reader, sw: Reader, fo: Reader, sec: Reader, api: Reader) -> Login:
    out = Login(software=software(info, sw), failover=failover(fo, info))
    if sec.ok:
        keys = sec.secrets_having("shared", "key")
        out.preshared_key = keys[0] if keys else None
    if api.ok:
        out.api_enabled = api.flag("Enable XML API")
        for si, ti, t, cols in api.tables("Name", optional=("OAuth Client ID", "Permissions", "Enabled")):
            if cols["OAuth Client ID"] is None and cols["Permissions"] is None:
                continue
            for ri, row in enumerate(t.rows):
                def cell(c: str) -> str | None:
                    i = cols[c]
                    return row[i] if i is not None and i < len(row) else None
                if len(row) < 2 or not blank(cell("Name")):
                    continue
                api.use_row(si, ti, ri)
                out.api_accounts.append(ApiAccount(
                    name=blank(cell("Name")) or "", client_id=blank(cell("OAuth Client ID")),
                    permissions=[p.strip() for p in (cell("Permissions") or "").split("\n") if p.strip()],
                    enabled=flag(cell("Enabled")),
                    src=api.src(si, ti=ti, ri=ri, label=blank(cell("Name")) or "")))
    return out
