"""The template context of one dossier: cover, warnings, checklist, pages, files and certificates."""
from __future__ import annotations

import hashlib
import struct
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import flows.settings as model
from capture.records import PageRecord, Snapshot
from flows.settings.parts import CERTS_FLOW
from reports import runbook, view

STEP_CSS = {"done": ("done", "Done"), "failed": ("failed", "Failed"), "n/a": ("na", "Not applicable")}
TRUST = {"ca": "verified against the configured CA file", "pin": "verified by a pinned public key",
         "system": "verified against the system trust store", "insecure": "NOT VERIFIED (--insecure)"}
LEVEL = {"error": "Problem", "warn": "Warning", "info": "Note"}
TILE = 1.2  # height/width of one printed screenshot tile: fits an A4 page below a heading


def interface(snap: Snapshot, rec: PageRecord) -> str:
    if rec.interface == "appliance" and snap.deployment == "cloud":
        return "/login > Appliance"
    return {"appliance": "/appliance", "login": "/login", "api": "API"}[rec.interface]


def _alert(level: str, text: str, href: str = "", link: str = "") -> dict[str, str]:
    return {"level": level, "label": LEVEL[level], "text": text, "href": href, "link": link}


def warnings(snap: Snapshot, partial: bool, peer: view.PeerView | None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if partial:
        out.append(_alert("error", "The capture did not finish: this dossier shows a partial snapshot."))
    for f in snap.failures:
        page = snap.page(f.step)
        out.append(_alert("error", f"{page.title if page else f.step} failed: {f.error}",
                          f"#{f.step}" if page else "#artifacts" if f.kind in ("artifact", "verify") else "#checklist"))
    for st in snap.procedure:
        if st.status == "failed" and not any(f.step in st.detail for f in snap.failures):
            out.append(_alert("error", f"Checklist step failed: {st.title} — {st.detail}", f"#step-{st.id}"))
    for i, a in enumerate(snap.artifacts):
        for c in a.verification.checks if a.verification else []:
            if c.status in ("fail", "warn"):
                out.append(_alert("error" if c.status == "fail" else "warn",
                                  f"{Path(a.path).name}: check “{c.name}” {c.status}ed: {c.detail}", f"#artifact-{i}"))
    for c in view.expiring(snap):
        gone = c.days is not None and c.days < 0
        text = (f"The {c.what} ({c.subject}) {'expired' if gone else 'expires'} on {view.day(c.not_after)}: "
                f"{abs(c.days or 0)} days {'before' if gone else 'after'} the capture.")
        out.append(_alert("error" if (c.days or 0) <= 30 else "warn", text, c.href, "certificate"))
    out += installed_expiring(snap)
    if snap.insecure or any(t.trust == "insecure" for t in snap.tls):
        out.append(_alert("warn", "The appliance's TLS certificate was not verified (--insecure): this capture "
                                  "cannot prove which appliance it came from.", "#tls"))
    flagged = [p for p in snap.pages if p.ocr and p.ocr.flagged]
    for w in snap.warnings:
        page = next((p for p in flagged if w.startswith(p.title + ":")), None)
        out.append(_alert("warn", w, f"#{page.flow}" if page else "", "page" if page else ""))
    for p in flagged:
        if not any(w.startswith(p.title + ":") for w in snap.warnings):
            out.append(_alert("warn", f"{p.title}: the screenshot shows only {round((p.ocr.legibility or 0) * 100)}% "
                                      "of the values read from the page.", f"#{p.flow}", "page"))
    for p in snap.pages:
        if p.ocr and p.ocr.error:
            out.append(_alert("warn", f"{p.title}: OCR failed ({p.ocr.error}); legibility unchecked.", f"#{p.flow}"))
    if peer is not None:
        if peer.must_match:
            out.append(_alert("error", f"Differs from the failover peer {peer.name} in settings that must match: "
                                       f"{peer.verdict}.", peer.diff_href or "", "peer diff"))
        elif not peer.comparable:
            out.append(_alert("warn", f"Could not be compared in full with the failover peer {peer.name}: "
                                      f"{peer.verdict}.", peer.diff_href or "", "peer diff"))
        else:
            out.append(_alert("info", f"Compared with the failover peer {peer.name}: {peer.verdict or 'consistent'}.",
                              peer.diff_href or "", "peer diff"))
    return out


def installed_expiring(snap: Snapshot) -> list[dict[str, str]]:
    """Other installed certificates (the settings model's list) that expire soon: they are not in the .p12."""
    certs = model.of(snap).certificates
    out = []
    for c in certs.installed if certs else []:
        if c.expires_on is None:
            continue
        when = datetime(c.expires_on.year, c.expires_on.month, c.expires_on.day, tzinfo=timezone.utc)
        days = (when - view.reference_time(snap)).days
        if days <= view.EXPIRY_DAYS:
            page = snap.page(CERTS_FLOW)
            out.append(_alert("info", f"Installed certificate “{c.name}” on {page.title if page else CERTS_FLOW} "
                                      f"expires on {view.day(when)} ({days} days after the capture).",
                              f"#{CERTS_FLOW}", "page"))
    return out


def checklist(snap: Snapshot) -> list[dict[str, Any]]:
    out = []
    for st in snap.procedure:
        css, label = STEP_CSS.get(st.status, ("na", st.status))
        out.append({"id": st.id, "title": st.title, "css": css, "label": label, "detail": st.detail,
                    "links": view.evidence_links(snap, st.evidence)})
    return out


def png_size(path: Path) -> tuple[int, int] | None:
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def screenshot(folder: Path, rel: str | None) -> dict[str, Any] | None:
    """The screenshot link; a tall one is cut into page-sized tiles (crops of the same file) for print."""
    if not rel:
        return None
    dims = png_size(folder / rel)
    shot: dict[str, Any] = {"href": view.href(folder, rel), "name": Path(rel).name, "tiles": [], "width": 1}
    if dims and dims[1] > dims[0] * TILE * 1.12:
        w, h = dims
        n = -(-h // int(w * TILE))
        step = -(-h // n)
        shot["width"] = w
        shot["tiles"] = [{"height": min(step, h - y), "top": f"{-100 * y / min(step, h - y):.4f}"}
                         for y in range(0, h, step)]
    return shot


def pages(folder: Path, snap: Snapshot) -> list[dict[str, Any]]:
    from flows.appliance import PAGES as APPLIANCE
    from flows.login import PAGES as LOGIN

    order = [p.flow for p in APPLIANCE] + ["appliance.security.certificate_export"] + [p.flow for p in LOGIN]
    out = []
    for rec in sorted(snap.pages, key=view.page_key(order)):
        iface = interface(snap, rec)
        leg = rec.ocr.legibility if rec.ocr else None
        out.append({
            "rec": rec, "iface": iface, "menu": " > ".join([iface] + rec.menu_path),
            "status_text": {"ok": "captured", "failed": "failed", "skipped": "skipped"}.get(rec.status, rec.status),
            "captured": view.when(rec.captured_at) if rec.captured_at else "not recorded",
            "legibility": None if leg is None else
            f"{round(leg * 100)}% of {rec.ocr.checked} values seen in the screenshot by OCR"
            + (" — flagged" if rec.ocr.flagged else ""),
            "shot": screenshot(folder, rec.screenshot),
            "secrets": secret_ledger(rec.masking),
            "failure_shots": [{"href": view.href(folder, f.screenshot), "error": f.error} for f in snap.failures
                              if f.step == rec.flow and f.screenshot],
            "sections": [{"title": s.title.split("::")[-1].strip() or "(untitled section)", "text": s.text,
                          "rows": [(f.label, *view.shown(f)) for f in s.fields],
                          "tables": [view.clean_table(t) for t in s.tables]} for s in rec.sections],
        })
    return out


def secret_ledger(m: Any) -> list[str]:
    """What was done to keep this page's secrets out of the dossier, and why, without any value."""
    if m is None:
        return []
    out = []
    if m.masked:
        items = [f"{x.label or '(no label)'}: {x.why}" + ("" if x.where == "page" else f", in the {x.where.split(' › ', 1)[-1]}")
                 for x in m.masked]
        out.append(f"Masked before the screenshot ({len(items)}): " + "; ".join(dict.fromkeys(items)))
    else:
        out.append("Nothing on this page needed a mask.")
    for g in m.gaps:
        out.append(f"Blacked out whole, not inspected: {g.what}" + ("" if g.where == "page" else f" (in the {g.where})"))
    if m.attempts > 1:
        out.append(f"The page changed after masking; shot again until the masks held ({m.attempts} shots).")
    if m.ocr_checked and not m.withheld:
        out.append("The screenshot's OCR was searched for every value known to be secret: none was readable.")
    if m.ocr_redacted:
        out.append(f"{m.ocr_redacted} OCR word(s) redacted (after a secret label, or a known secret).")
    out += [f"Withheld: {w}" for w in m.withheld]
    if m.layers_off:
        out.append("Secret layers switched off for this run (test only): " + ", ".join(m.layers_off))
    return out


def _opt(key: str, value: Any) -> tuple[str, str, str]:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, list):
        value = ", ".join(map(str, value))
    return key.replace("_", " ").capitalize(), str(value), "value"


def artifacts(snap: Snapshot) -> list[dict[str, Any]]:
    secret = {"p12": "p12_passphrase", "nsb": "backup_password", "vault_key": "vault_key_password"}
    out = []
    for i, a in enumerate(snap.artifacts):
        rows = [("File", Path(a.path).name, "mono"), ("Size", view.size(a.size), "value"),
                ("SHA-256", a.sha256, "mono"),
                ("Obtained", "through the Backup API" if a.obtained == "api" else "through the web interface", "value"),
                ("Saved at", view.when(a.created_at), "value"),
                ("Password kept in", view.secret_where(snap, secret[a.kind], a)
                 if a.secret_ref or a.options.get("password_protected", True) else "no password", "value")]
        rows += [_opt(k, v) for k, v in a.options.items() if k not in ("row", "certificate")]
        v = a.verification
        out.append({"i": i, "kind": view.KINDS.get(a.kind, a.kind), "rows": rows,
                    "verdict": v.verdict if v else "not_checked", "checks": v.checks if v else []})
    return out


def certs(snap: Snapshot) -> list[dict[str, Any]]:
    out = []
    for a in snap.artifacts:
        d = a.verification.details if a.verification else {}
        if a.kind != "p12" or not d.get("subject"):
            continue
        key = d.get("key") or {}
        enc = d.get("p12_encryption") or {}
        rows = [("Subject", d.get("subject", ""), "value"),
                ("Alternative names (DNS)", ", ".join(d.get("sans_dns", [])) or "none", "value"),
                ("Alternative names (IP)", ", ".join(d.get("sans_ip", [])) or "none", "value"),
                ("Issuer", d.get("issuer", ""), "value"), ("Serial number", d.get("serial", ""), "mono"),
                ("Valid from", view.when(view.dt(d.get("not_before"))), "value"),
                ("Valid until", f"{view.when(view.dt(d.get('not_after')))} ({d.get('days_left', '?')} days left at "
                                "capture)", "value"),
                ("Key", f"{key.get('type', '?')} {key.get('size', '')}".strip(), "value"),
                ("SHA-256 fingerprint", d.get("sha256", ""), "mono"), ("SHA-1 fingerprint", d.get("sha1", ""), "mono"),
                ("SPKI SHA-256", d.get("spki_sha256", ""), "mono")]
        if enc:
            rows.append(("File encryption", ", ".join(f"{k}: {v}" for k, v in enc.items() if k != "family"), "value"))
        if d.get("presented_sha256"):
            same = d["presented_sha256"] == d.get("sha256")
            rows.append(("Presented over TLS", "this certificate" if same else "a different certificate", "value"))
        chain = [{**c, "not_after": view.day(view.dt(c.get("not_after")))} for c in d.get("chain", [])]
        out.append({"title": f"Site certificate in {Path(a.path).name}", "rows": rows, "chain": chain})
    return out


def tls(snap: Snapshot) -> list[list[tuple[str, str, str]]]:
    return [[("Endpoint", f"{t.host}:{t.port}", "mono"), ("Trust", TRUST.get(t.trust, t.trust), "value"),
             ("Subject", t.subject, "value"), ("Issuer", t.issuer, "value"),
             ("Alternative names", ", ".join(t.sans) or "none", "value"),
             ("Valid", f"{view.when(t.not_before)} → {view.when(t.not_after)}", "value"),
             ("SHA-256 fingerprint", t.sha256, "mono"), ("SPKI SHA-256 (pin)", t.spki_sha256, "mono")]
            for t in snap.tls]


def needs(snap: Snapshot) -> list[tuple[str, str, str]]:
    rows = []
    for kind, what, secret in (("p12", "Certificate file", "p12_passphrase"), ("nsb", "NSB site backup",
                                                                              "backup_password"),
                               ("vault_key", "Vault encryption key", "vault_key_password")):
        arts = [a for a in snap.artifacts if a.kind == kind]
        if arts:
            rows.append((what, "\n".join(Path(a.path).name for a in arts), "mono"))
            rows.append((f"{what}: password", view.secret_where(snap, secret, arts[0]), "value"))
    rows.append(("Inter-appliance pre-shared key", "your password records (bt-capture never reads it)", "value"))
    return rows


def build(folder: Path, snap: Snapshot, partial: bool, diffs: list[dict[str, Any]] | None) -> dict[str, Any]:
    from flows.procedure import NSB_GAPS

    peer = view.peer(folder, snap, diffs)
    probs = view.problems(snap, partial)
    if peer is not None and peer.must_match:
        probs.append(f"differs from the failover peer {peer.name} in {peer.must_match} setting(s) that must match")
    done = sum(st.status == "done" for st in snap.procedure)
    verified = sum(1 for a in snap.artifacts if a.verification and a.verification.verdict == "pass")
    status = {"ok": not probs, "text": "Complete" if not probs else f"{len(probs)} problem{'s' * (len(probs) != 1)}",
              "detail": (f"{done} of {len(snap.procedure)} checklist steps done (the rest not applicable); "
                         f"{verified} of {len(snap.artifacts)} files verified") if not probs else probs[0]}
    ident = snap.identity
    absent = "not captured" if snap.deployment == "onprem" else f"not shown on {snap.deployment} sites"
    manifest = folder / ("manifest.partial.json" if partial else "manifest.json")
    dur = (snap.finished_at - snap.started_at).total_seconds() if snap.finished_at and snap.started_at else None
    return {
        "s": snap, "folder_name": folder.name, "appliance": snap.appliance_hostname or ident.hostname or snap.label,
        "site": snap.site_hostname or "unknown site", "status": status, "problems": probs, "peer": peer,
        "identity": [(k, v or absent, "value" if v else "empty") for k, v in (
            ("Appliance version", ident.appliance_version), ("Serial number", ident.serial_number),
            ("Base software version", ident.base_software_version), ("System time", ident.system_time),
            ("Model", ident.model), ("Product version", snap.product_version), ("Product build", snap.product_build),
            ("Deployment", view.DEPLOYMENTS.get(snap.deployment, snap.deployment)), ("Failover role", snap.role))],
        "capture": [("Started", view.when(snap.started_at), "value"),
                    ("Finished", view.when(snap.finished_at), "value"),
                    ("Duration", f"{dur:.0f} s" if dur is not None else "unknown", "value"),
                    ("Operator", snap.operator or "unknown", "value"),
                    ("Tool", f"{snap.tool} {snap.tool_version}", "value"),
                    ("TLS", "; ".join(sorted({TRUST.get(t.trust, t.trust) for t in snap.tls})) or "not recorded",
                     "value"), ("Snapshot", snap.name or folder.name, "mono"), *view.signature(folder)],
        "warnings": warnings(snap, partial, peer), "reference": view.when(view.reference_time(snap)),
        "action_shots": [{"href": view.href(folder, f.screenshot), "step": f.step, "error": f.error}
                         for f in snap.failures if f.screenshot and snap.page(f.step) is None],
        "expiry_days": view.EXPIRY_DAYS, "checklist": checklist(snap), "runbook": runbook.build(snap),
        "needs": needs(snap), "pages": pages(folder, snap), "artifacts": artifacts(snap), "certs": certs(snap),
        "tls": tls(snap), "gaps": NSB_GAPS,
        "secrets": [(view.SECRET_NAMES.get(x.name, x.name), x.where, "value") for x in snap.secrets],
        "manifest_sha": hashlib.sha256(manifest.read_bytes()).hexdigest(),
        "rendered": view.when(datetime.now(timezone.utc)),
    }
