"""The restore runbook, in rebuild order, from the snapshot's settings model: exact values and where each goes."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import flows.settings as model
from capture.records import Artifact, PageRecord, Snapshot, Table
from flows.procedure import RESTORE
from flows.settings.model import Settings, SiteChoice
from flows.settings.parts import (ADMIN_FLOW, CERTS_FLOW, EMAIL_FLOW, FAILOVER_FLOW, IP_FLOW, ROUTES_FLOW,
                                  SECURITY_FLOW, SNMP_FLOW, TLS_FLOW)
from reports.blocks import Block, applies, others, title, where
from reports.view import secret_where

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


def _page(snap: Snapshot, flow: str, step: Step) -> PageRecord | None:
    """The captured page, or a problem saying why it is not there and where its evidence is."""
    page = snap.page(flow)
    if page is not None and page.status == "ok":
        return page
    why = page.error if page is not None and page.error else "not captured"
    anchor = f" (see section “{page.title}”)" if page is not None else ""
    step.problems.append(f"{title(flow)}: {why}{anchor} — take the values from another copy of this dossier or from "
                         "the appliance's own records")
    return None


def network(snap: Snapshot, m: Settings) -> Step:
    step = Step(1, "network", "Re-enter the network settings by hand", where(snap, RESTORE["network"]))
    if snap.deployment != "onprem":
        step.intro = (f"Network configuration is {MANAGED} for {snap.deployment} sites: there is nothing to "
                      "re-enter.")
        return step
    step.intro = ("Connect to the replacement appliance's /appliance interface (factory address or console), then "
                  "enter these values exactly. Failover does not copy /appliance settings, so each appliance of a "
                  "pair has its own.")
    ip = _page(snap, IP_FLOW, step)
    if ip is not None and m.network is not None:
        net = m.network
        glob = Block("Global network configuration", where(snap, IP_FLOW), href=f"#{IP_FLOW}")
        for v, name in ((net.hostname, "hostname"), (net.gateway4, "default gateway"),
                        (net.gateway6, "IPv6 default gateway"), (net.dns_servers, "DNS servers")):
            glob.value(v, name)
        if net.search_domains.src:
            glob.value(net.search_domains, "DNS search domains")
        for s in others(m, IP_FLOW):
            glob.setting(s)
        step.blocks.append(glob.finish(ip))
        step.blocks += nics(m, where(snap, IP_FLOW), ip)
    routes = _page(snap, ROUTES_FLOW, step)
    if routes is not None and m.routes is not None:
        b = Block("Static routes", where(snap, ROUTES_FLOW), href=f"#{ROUTES_FLOW}")
        if not m.routes:
            b.note = "No static routes are configured: nothing to add."
        else:
            b.tables.append(Table(headers=["Destination", "Prefix or netmask", "Gateway", "Interface"],
                                  rows=[[r.destination, r.prefix or "", r.gateway or "", r.interface or ""]
                                        for r in m.routes]))
        step.blocks.append(b)
    snmp = _page(snap, SNMP_FLOW, step)
    if snmp is not None and m.snmp is not None:
        s = m.snmp
        b = Block("SNMP", where(snap, SNMP_FLOW), href=f"#{SNMP_FLOW}")
        b.value(s.v2_enabled, "SNMPv2 switch")
        for c in s.communities:
            b.value(c, "community")
        for v, name in ((s.location, "location"), (s.contact, "contact"), (s.allowed, "allowed addresses"),
                        (s.v3_enabled, "SNMPv3 switch"), (s.v3_username, "SNMPv3 user"),
                        (s.v3_auth_protocol, "SNMPv3 authentication protocol"),
                        (s.v3_privacy_protocol, "SNMPv3 privacy protocol")):
            if v.src is not None or name in ("location", "allowed addresses"):
                b.value(v, name)
        for sec in s.v3_secrets:
            b.value(sec, "SNMPv3 secret")
        for o in others(m, SNMP_FLOW):
            b.setting(o)
        step.blocks.append(b.finish(snmp))
    return step


def nics(m: Settings, at: str, page: PageRecord) -> list[Block]:
    """Each network interface with its addresses; the MAC address is the old hardware's."""
    out: list[Block] = []
    for nic in m.network.nics if m.network else []:
        b = Block(f"Interface {nic.name}" if nic.name else "IP addresses (interface not stated on the page)", at,
                  href=f"#{IP_FLOW}")
        if nic.name and nic.src:
            b.rows.append((nic.src.label or "interface", nic.name, "value"))
        if nic.mac.src:
            b.value(nic.mac, "MAC address")
            b.note = ("The MAC address is the old hardware's: new hardware has its own, so update DHCP reservations "
                      "or switch port security that name it.")
        if nic.media.src:
            b.value(nic.media, "speed and duplex setting")
        if nic.addresses:
            b.tables.append(Table(headers=["IP address", "Prefix or mask", "On", "Kind"],
                                  rows=[[a.address, a.prefix or "", {True: "on", False: "off"}.get(a.enabled, ""),
                                         a.type or ""] for a in nic.addresses]))
        out.append(b)
    if not out:
        out.append(Block("Network interfaces", at, href=f"#{IP_FLOW}",
                         note=f"No interface or address table found: check “{page.title}”."))
    return out


def _p12(snap: Snapshot) -> tuple[int, Artifact] | None:
    arts = [(i, a) for i, a in enumerate(snap.artifacts) if a.kind == "p12"]
    good = [x for x in arts if x[1].verification and x[1].verification.verdict == "pass"]
    return (good or arts or [None])[0]


def certificate(snap: Snapshot, m: Settings) -> Step:
    step = Step(2, "certificate", "Import the site certificate", where(snap, RESTORE["certificate_import"]))
    if snap.deployment == "hosted":
        step.intro = f"Certificates of BeyondTrust-hosted sites are {MANAGED}."
        return step
    choice = m.certificates.site if m.certificates else None
    if choice is not None:
        step.blocks.append(chosen(choice))
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
    step.blocks.insert(0, b)
    return step


def chosen(choice: SiteChoice) -> Block:
    """Which certificate is the site certificate, which conditions were checked, and why it won."""
    b = Block("Which certificate is the site certificate", href=f"#{CERTS_FLOW}")
    b.rows.append(("Chosen", choice.name or "none qualifies", "value" if choice.name else "empty"))
    b.rows.append(("Why", choice.reason, "value"))
    b.rows.append(("Names looked for in the alternative names", ", ".join(choice.hostnames) or "none", "value"))
    b.rows.append(("The appliance's own addresses", (", ".join(choice.own_addresses) + f" ({choice.addresses_from})")
                   if choice.own_addresses else choice.addresses_from, "value"))
    b.rows.append(("Chosen when", "the .p12 was exported" if choice.decided_by == "export" else
                   "the snapshot was read (no export)", "value"))
    if choice.candidates:
        heads = [c.name for c in choice.candidates[0].checks]
        b.tables.append(Table(title="Candidates and the conditions checked", headers=["Certificate", *heads],
                              rows=[[c.name, *[_check(k.passed, k.detail) for k in c.checks]]
                                    for c in choice.candidates]))
    return b


def _check(passed: bool | None, detail: str) -> str:
    verdict = {True: "yes", False: "no"}.get(passed, "")  # type: ignore[arg-type]
    if not detail or detail == verdict:
        return verdict or "—"
    return f"{verdict}: {detail}" if verdict else detail


def other_settings(snap: Snapshot, m: Settings) -> Step:
    title_ = ("Restore SSL/TLS, restrictions, syslog, login agreement and email" if snap.deployment == "onprem"
              else "Restore the SSL/TLS configuration")
    step = Step(3, "settings", title_, where(snap, RESTORE["settings"]))
    if snap.deployment == "hosted":
        step.intro = f"These /appliance settings are {MANAGED} for hosted sites."
        return step
    step.intro = "Set each value as captured. Values marked “(empty)” were blank on the appliance."
    page = _page(snap, TLS_FLOW, step) if applies(snap, TLS_FLOW) else None
    if page is not None and m.tls is not None:
        b = Block(title(TLS_FLOW).split(" > ")[-1], where(snap, TLS_FLOW), href=f"#{TLS_FLOW}")
        for p in m.tls.protocols:
            b.rows.append((p.src.label if p.src else p.name, {True: "on", False: "off"}.get(p.enabled, "unclear"),
                           f"check {'on' if p.enabled else 'off'}"))
        if m.tls.ciphers:
            b.tables.append(Table(title="Cipher suites, in the order the appliance offers them",
                                  headers=["Position", "On", "Cipher suite"],
                                  rows=[[str(c.position), {True: "on", False: "off"}.get(c.enabled, ""), c.name]
                                        for c in m.tls.ciphers]))
        for o in others(m, TLS_FLOW):
            b.setting(o)
        step.blocks.append(b)
    if applies(snap, ADMIN_FLOW) and (page := _page(snap, ADMIN_FLOW, step)) is not None and m.administration:
        adm, at = m.administration, where(snap, ADMIN_FLOW)
        r = Block("Restrictions", at, href=f"#{ADMIN_FLOW}")
        for s in adm.restrictions:
            r.setting(s)
        if r.rows:
            step.blocks.append(r)
        sy = Block("Syslog", at, href=f"#{ADMIN_FLOW}")
        sy.value(adm.syslog.servers, "syslog servers")
        sy.value(adm.syslog.format, "syslog message format")
        step.blocks.append(sy.finish(page))
        ag = Block("Login agreement", at, href=f"#{ADMIN_FLOW}")
        for v, name in ((adm.agreement.enabled, "agreement switch"), (adm.agreement.title, "agreement title"),
                        (adm.agreement.text, "agreement text")):
            if v.src is not None:
                ag.value(v, name)
        if ag.rows:
            step.blocks.append(ag)
        for o in others(m, ADMIN_FLOW):
            r.setting(o)
    if applies(snap, EMAIL_FLOW) and (page := _page(snap, EMAIL_FLOW, step)) is not None and m.email:
        e = m.email
        b = Block("Email", where(snap, EMAIL_FLOW), href=f"#{EMAIL_FLOW}")
        for v, name in ((e.relay, "SMTP relay"), (e.port, "SMTP port"), (e.encryption, "SMTP encryption"),
                        (e.authentication, "SMTP authentication"), (e.username, "SMTP user"),
                        (e.password, "SMTP password"), (e.sender, "sender address"),
                        (e.recipients, "recipient addresses")):
            if v.src is not None or name in ("SMTP relay", "SMTP port"):
                b.value(v, name)
        for o in others(m, EMAIL_FLOW):
            b.setting(o)
        step.blocks.append(b.finish(page))
    return step


def failover(snap: Snapshot, m: Settings) -> Step:
    fo_where, key_where = (where(snap, RESTORE[k], "login") for k in ("failover", "preshared_key"))
    step = Step(6, "failover", "Re-enter the failover settings and the pre-shared key" if snap.deployment == "onprem"
                else "Re-enter the inter-appliance pre-shared key", f"{fo_where}; {key_where}",
                intro="Failover sync does not carry these, and restoring an NSB overwrites them: enter them by hand "
                      "on this appliance; the pre-shared key must equal the peer's.")
    if snap.deployment != "onprem":
        step.where = key_where
        step.intro = ("Restoring an NSB overwrites the inter-appliance pre-shared key: re-enter it by hand if it was "
                      "set.")
    if applies(snap, FAILOVER_FLOW):
        page = _page(snap, FAILOVER_FLOW, step)
        fo = m.login.failover
        if page is not None and fo is not None:
            b = Block("Failover", fo_where, href=f"#{FAILOVER_FLOW}")
            if fo.hostname.src:
                b.rows.append((f"This appliance: {fo.hostname.src.label}", fo.hostname.value or "", "value"))
            if fo.role.src:
                b.rows.append((f"This appliance: {fo.role.src.label}", fo.role_shown or fo.role.value or "", "value"))
            for v, name in ((fo.backup_operations, "backup operations"), (fo.sync_interval, "sync interval"),
                            (fo.bandwidth_limit, "bandwidth limit"), (fo.automatic_failover, "automatic failover")):
                if v.src is not None:
                    b.value(v, name)
            for s in fo.settings:
                b.setting(s)
            step.blocks.append(b)
    else:
        step.notes.append(f"Failover of {snap.deployment} sites is {MANAGED}.")
    page = _page(snap, SECURITY_FLOW, step)
    if page is not None:
        b = Block("Inter-appliance pre-shared key", key_where, href=f"#{SECURITY_FLOW}")
        b.value(m.login.preshared_key, "inter-appliance pre-shared key")
        step.blocks.append(b.finish(page))
    return step


def build(snap: Snapshot) -> list[Step]:
    from reports.runbook_files import nsb, vault

    m = model.of(snap)
    return [network(snap, m), certificate(snap, m), other_settings(snap, m), nsb(snap), vault(snap), failover(snap, m)]
