"""The restore runbook, in rebuild order, with the exact values of the snapshot and where each is entered."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from capture.records import Artifact, PageRecord, Snapshot
from reports.lookup import LINK_STATE, Block, applies, column, find, norm, section_blocks, settings, table_with
from reports.view import clean_table, secret_where

IP = "appliance.networking.ip_configuration"
ROUTES = "appliance.networking.static_routes"
SNMP = "appliance.networking.snmp"
MANAGED = "managed by BeyondTrust"


@dataclass
class Step:
    n: int
    id: str
    title: str
    where: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # missing pages or files, with where to look instead


def _appl(snap: Snapshot, menu: str) -> str:
    return (f"/login > Appliance > {menu}" if snap.deployment == "cloud" else f"/appliance > {menu}")


def _page(snap: Snapshot, flow: str, step: Step, what: str) -> PageRecord | None:
    """The captured page, or a problem saying why it is not there and where its evidence is."""
    page = snap.page(flow)
    if page is not None and page.status == "ok":
        return page
    why = page.error if page is not None and page.error else "not captured"
    anchor = f" (see section “{page.title}”)" if page is not None else ""
    step.problems.append(f"{what}: {why}{anchor} — take the values from another copy of this dossier or from "
                         "the appliance's own records")
    return None


def _missing(block: Block, page: PageRecord) -> None:
    if block.missing:
        block.note = (f"Not found on the captured page: {', '.join(block.missing)}. Check the screenshot and "
                      f"extracted values of “{page.title}”.")


def network(snap: Snapshot) -> Step:
    step = Step(1, "network", "Re-enter the network settings by hand", _appl(snap, "Networking"))
    if snap.deployment != "onprem":
        step.intro = (f"Network configuration is {MANAGED} for {snap.deployment} sites: there is nothing to "
                      "re-enter.")
        return step
    step.intro = ("Connect to the replacement appliance's /appliance interface (factory address or console), then "
                  "enter these values exactly. Failover does not copy /appliance settings, so each appliance of a "
                  "pair has its own.")
    ip = _page(snap, IP, step, "Networking > IP Configuration")
    if ip is not None:
        where = _appl(snap, "Networking > IP Configuration")
        glob = Block("Global network configuration", where, href=f"#{IP}")
        for label in ("Hostname", "Default Gateway", "IPv6 Default Gateway", "DNS Servers"):
            glob.want(ip, label)
        home = next((s for s in ip.sections if any(f in s.fields for f in [find(ip, "Default Gateway")] if f)), None)
        for f in settings(home) if home else []:
            if f.label not in [r[0] for r in glob.rows]:
                glob.add(f)
        _missing(glob, ip)
        step.blocks.append(glob)
        step.blocks += nics(ip, where)
    routes = _page(snap, ROUTES, step, "Networking > Static Routes")
    if routes is not None:
        b = Block("Static routes", _appl(snap, "Networking > Static Routes"), href=f"#{ROUTES}")
        t = table_with(routes, "Destination", "Gateway")
        if t is None:
            b.note = f"No static route table found on the captured page: check “{routes.title}”."
        elif not t.rows:
            b.note = "No static routes are configured: nothing to add."
        else:
            b.tables.append(clean_table(t))
        step.blocks.append(b)
    snmp = _page(snap, SNMP, step, "Networking > SNMP")
    if snmp is not None:
        blocks = section_blocks(snmp, _appl(snap, "Networking > SNMP"))
        for b in blocks:
            b.title = f"SNMP: {b.title}" if "snmp" not in b.title.lower() else b.title
        step.blocks += blocks or [Block("SNMP", _appl(snap, "Networking > SNMP"), href=f"#{SNMP}",
                                        note="No SNMP settings found on the captured page.")]
    return step


def nics(ip: PageRecord, where: str) -> list[Block]:
    """Each network interface with its addresses; the interface name starts a group (one section or several)."""
    groups: list[Block] = []
    tables = []
    for s in ip.sections:
        for f in s.fields:
            if norm(f.label) in ("interface", "nic", "network interface"):
                groups.append(Block(f"Interface {f.value}", where, href=f"#{IP}"))
            if groups and norm(f.label) not in LINK_STATE and f.kind != "static":
                groups[-1].add(f)
        tables += [t for t in s.tables if column(t, "IP Address") is not None]
    for g in groups:
        if any(norm(r[0]) == "mac address" for r in g.rows):
            g.note = ("The MAC address is the old hardware's: new hardware has its own, so update DHCP reservations "
                      "or switch port security that name it.")
    if len(tables) == len(groups):
        for g, t in zip(groups, tables, strict=True):
            g.tables.append(clean_table(t))
    elif tables:  # the page did not pair addresses with interfaces: list them as captured
        groups.append(Block("IP addresses (interface not stated on the page)", where, href=f"#{IP}",
                            tables=[clean_table(t) for t in tables]))
    if not groups:
        groups.append(Block("Network interfaces", where, href=f"#{IP}",
                            note=f"No interface or address table found: check “{ip.title}”."))
    return groups


def _p12(snap: Snapshot) -> tuple[int, Artifact] | None:
    arts = [(i, a) for i, a in enumerate(snap.artifacts) if a.kind == "p12"]
    good = [x for x in arts if x[1].verification and x[1].verification.verdict == "pass"]
    return (good or arts or [None])[0]


def certificate(snap: Snapshot) -> Step:
    step = Step(2, "certificate", "Import the site certificate", _appl(snap, "Security > Certificates > Import"))
    if snap.deployment == "hosted":
        step.intro = f"Certificates of BeyondTrust-hosted sites are {MANAGED}."
        return step
    found = _p12(snap)
    if found is None:
        step.problems.append("No certificate backup (.p12) in this snapshot: see the warnings and the checklist. "
                             "Use another snapshot's .p12 (failover peers share the certificate).")
        return step
    i, a = found
    d = a.verification.details if a.verification else {}
    step.intro = ("Import the .p12 file with its passphrase, including the private key and chain. Then compare the "
                  "SHA-256 fingerprint the appliance shows with the one below, and make it the default certificate "
                  "if the captured certificate list shows it as the default.")
    b = Block("Certificate file", step.where, href=f"#artifact-{i}")
    b.rows += [("File", Path(a.path).name, "mono"),
               ("Passphrase kept in", secret_where(snap, "p12_passphrase", a), "value"),
               ("SHA-256 fingerprint (confirm)", d.get("sha256", "not recorded"), "mono"),
               ("SHA-1 fingerprint", d.get("sha1", "not recorded"), "mono"),
               ("Subject", d.get("subject", "not recorded"), "value"),
               ("Alternative names", ", ".join(d.get("sans_dns", []) + d.get("sans_ip", [])) or "none", "value"),
               ("Issuer", d.get("issuer", "not recorded"), "value"),
               ("Valid", f"{d.get('not_before', '?')[:10]} → {d.get('not_after', '?')[:10]}", "value"),
               ("Chain in the file", f"{len(d.get('chain', []))} certificate(s)", "value"),
               ("Verification", a.verification.verdict if a.verification else "not checked", "verdict")]
    step.blocks.append(b)
    return step


SETTINGS = [("appliance.security.ssl_tls", "Security > SSL/TLS Configuration", True, ()),
            ("appliance.security.appliance_administration", "Security > Appliance Administration", False,
             (r"reset admin",)),
            ("appliance.security.email_configuration", "Security > Email Configuration", False, ())]
KEYS = {"appliance.security.appliance_administration": ("Remote Syslog Server", "Message Format")}


def other_settings(snap: Snapshot) -> Step:
    title = ("Restore SSL/TLS, restrictions, syslog, login agreement and email" if snap.deployment == "onprem"
             else "Restore the SSL/TLS configuration")
    step = Step(3, "settings", title, _appl(snap, "Security"))
    if snap.deployment == "hosted":
        step.intro = f"These /appliance settings are {MANAGED} for hosted sites."
        return step
    step.intro = "Set each value as captured. Values marked “(empty)” were blank on the appliance."
    for flow, menu, tables, skip in SETTINGS:
        if not applies(snap, flow):
            continue
        page = _page(snap, flow, step, menu)
        blocks = section_blocks(page, _appl(snap, menu), with_tables=tables, skip=skip)
        for key in KEYS.get(flow, ()):
            if page is not None and find(page, key) is None and blocks:
                blocks[-1].missing.append(key)
                _missing(blocks[-1], page)
        for b in blocks:
            b.title = f"{menu.split(' > ')[-1]}: {b.title}" if b.title not in menu else b.title
        step.blocks += blocks
    return step


def _files(snap: Snapshot, kind: str) -> list[tuple[int, Artifact]]:
    return [(i, a) for i, a in enumerate(snap.artifacts) if a.kind == kind]


def nsb(snap: Snapshot) -> Step:
    step = Step(4, "nsb", "Upload the NSB site backup", "/login > Management > Software > Restore Settings",
                intro="Choose the file, enter its backup password and restore. Restoring overwrites the failover "
                      "settings and the Inter-appliance Pre-shared Key: re-enter them afterwards (step 6).")
    for i, a in _files(snap, "nsb"):
        d = a.verification.details if a.verification else {}
        b = Block(f"{'Backup API' if a.obtained == 'api' else 'Download Backup button'} copy", step.where,
                  href=f"#artifact-{i}")
        b.rows += [("File", Path(a.path).name, "mono"),
                   ("Backup password kept in", secret_where(snap, "backup_password", a)
                    if a.options.get("password_protected", d.get("password_protected")) else "no password", "value"),
                   ("Logged history included", "yes" if a.options.get("include_history") else "no", "value"),
                   ("SHA-256 of the file", a.sha256, "mono"),
                   ("Verification", a.verification.verdict if a.verification else "not checked", "verdict")]
        step.blocks.append(b)
    if not step.blocks:
        step.problems.append("No NSB backup in this snapshot: see the checklist and warnings.")
    if snap.role in ("primary", "backup"):
        step.notes.append("In a failover pair whose peer still runs, you may instead re-establish failover (step 6) "
                          "and let the peer synchronise /login data; the NSB is the fallback if that sync fails.")
    return step


def vault(snap: Snapshot) -> Step:
    step = Step(5, "vault_key", "Restore the Vault encryption key",
                "/login > Management > Software > Vault Encryption Key",
                intro="Restore it with the NSB: without it the Vault credentials in the backup cannot be decrypted.")
    for i, a in _files(snap, "vault_key"):
        b = Block("Vault encryption key file", step.where, href=f"#artifact-{i}")
        b.rows += [("File", Path(a.path).name, "mono"),
                   ("Password kept in", secret_where(snap, "vault_key_password", a), "value"),
                   ("SHA-256 of the file", a.sha256, "mono"),
                   ("Verification", a.verification.verdict if a.verification else "not checked", "verdict")]
        step.blocks.append(b)
    if not step.blocks:
        step.problems.append("No Vault encryption key in this snapshot: see the checklist and warnings.")
    return step


def failover(snap: Snapshot) -> Step:
    step = Step(6, "failover", "Re-enter the failover settings and the pre-shared key" if snap.deployment == "onprem"
                else "Re-enter the inter-appliance pre-shared key",
                "/login > Management > Failover; /login > Management > Security",
                intro="Failover sync does not carry these, and restoring an NSB overwrites them: enter them by hand "
                      "on this appliance; the pre-shared key must equal the peer's.")
    if snap.deployment != "onprem":
        step.where = "/login > Management > Security"
        step.intro = ("Restoring an NSB overwrites the Inter-appliance Pre-shared Key: re-enter it by hand if it was "
                      "set.")
    if applies(snap, "login.management.failover"):
        page = _page(snap, "login.management.failover", step, "Management > Failover")
        if page is not None:
            b = Block("Failover", "/login > Management > Failover", href="#login.management.failover")
            mine = [s for s in page.sections if re.search(r"\bthis host", s.title, re.I)] or page.sections[:3]
            for label in ("Hostname", "Failover Role"):
                f = find(page, label, mine)
                if f is not None:
                    b.add(f, f"This appliance: {f.label}")
            for s in page.sections:
                for f in settings(s):
                    b.add(f)
            step.blocks.append(b)
    else:
        step.notes.append(f"Failover of {snap.deployment} sites is {MANAGED}.")
    page = _page(snap, "login.management.security", step, "Management > Security")
    if page is not None:
        key = find(page, "Inter-appliance Communication Pre-shared Key")
        home = next((s for s in page.sections if key in s.fields), None) if key else None
        b = Block("Inter-appliance pre-shared key", "/login > Management > Security",
                  href="#login.management.security")
        if key is None:
            b.missing.append("Inter-appliance Communication Pre-shared Key")
            _missing(b, page)
        for f in (settings(home) if home else []):
            b.add(f)
        step.blocks.append(b)
    return step


def build(snap: Snapshot) -> list[Step]:
    return [network(snap), certificate(snap), other_settings(snap), nsb(snap), vault(snap), failover(snap)]
