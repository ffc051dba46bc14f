"""The /appliance parts of the model: identity, network with its NICs, routes, SNMP, TLS, administration, email."""
from __future__ import annotations

import re

from flows.settings.model import (Address, Administration, Agreement, Cipher, Email, Hardware, Identity, Network, Nic,
                                  Protocol, Route, Snmp, Syslog, Text, Tls)
from flows.settings.certs import is_ip
from flows.settings.read import Reader, blank, flag

# "TLSv1.2", "TLS 1.3", "SSL v3": a protocol version switch, whatever the page calls it.
_PROTOCOL = re.compile(r"^\s*(?:enable\s+)?(ssl|tls)\s*v?\s*(\d(?:\.\d)?)\s*$", re.I)


def identity(basics: Reader, info: Reader) -> Identity:
    ident = Identity(appliance_version=basics.text("Appliance Version"), serial_number=basics.text("Serial Number"),
                     base_software_version=basics.text("Base Software Version"),
                     system_time=basics.text("System Time"), uptime=basics.text("Uptime"),
                     model=basics.text("Model"), hostname=basics.text("Hostname"),
                     site_hostname=info.text("Site Hostname"))
    # /login shows the appliance's name and serial too: the fallback when Status > Basics was not captured.
    for attr, label in (("hostname", "Appliance Hostname"), ("serial_number", "Serial Number")):
        shown = info.text(label)
        if getattr(ident, attr).value is None and shown.value is not None:
            setattr(ident, attr, shown)
    return ident


def network(r: Reader) -> Network | None:
    if not r.ok:
        return None
    return Network(hostname=r.text("Hostname"), gateway4=r.text("Default Gateway"),
                   gateway6=r.text("IPv6 Default Gateway"), dns_servers=r.items("DNS Servers"),
                   search_domains=r.items("Search Domains"), nics=nics(r))


def nics(r: Reader) -> list[Nic]:
    """Each interface with its addresses. An interface starts at its name (a field, or a section named only by
    it); its details follow; its address tables are those of its section, paired in order when a section holds
    several interfaces."""
    out: list[Nic] = []
    by_section: dict[int, list[Nic]] = {}
    for si, s in r.sections():
        for fi, f in enumerate(s.fields):
            if (si, fi) in r.used:
                continue
            if r.vocab.matches(f.label, "Interface") and blank(f.value):
                r.used.add((si, fi))
                nic = Nic(name=blank(f.value) or "", src=r.src(si, fi))
                out.append(nic)
                by_section.setdefault(si, []).append(nic)
                continue
            nic = by_section.get(si, [None])[-1]
            if nic is None:
                continue
            for attr, label in (("mac", "MAC Address"), ("link", "Link Detected"), ("speed", "Speed"),
                                ("duplex", "Duplex"), ("media", "Speed/Duplex Setting")):
                if getattr(nic, attr).value is None and r.vocab.matches(f.label, label):
                    r.used.add((si, fi))
                    value = Text(value=blank(f.value), src=r.src(si, fi))
                    setattr(nic, attr, Hardware(**value.model_dump()) if attr == "mac" else value)
                    break
    tables = list(r.tables("IP Address", optional=("Subnet Mask/Prefix", "Enabled", "Type")))
    for si in {t[0] for t in tables}:
        here = [t for t in tables if t[0] == si]
        owners = by_section.get(si, [])
        if not owners:  # a section of its own, named after its interface (or not named at all)
            title = r.src(si).section
            nic = next((n for n in out if n.name == title), None) or Nic(name=title if _nic_name(title) else "",
                                                                          src=r.src(si))
            if nic not in out:
                out.append(nic)
            owners = [nic]
        pairs = zip(owners, here) if len(owners) == len(here) else ((owners[-1], t) for t in here)
        for nic, (tsi, ti, t, cols) in pairs:
            nic.addresses += _addresses(r, tsi, ti, t, cols)
    return out


def _nic_name(title: str) -> bool:
    # "eth0", "NIC 1", "ens192": a short name without spaces beyond one number, not a heading like "NIC Configuration"
    return bool(re.fullmatch(r"[A-Za-z][\w.:-]{1,15}( \d+)?", title.strip())) and len(title.split()) <= 2


def _addresses(r: Reader, si: int, ti: int, t, cols: dict) -> list[Address]:  # type: ignore[no-untyped-def]
    out = []
    ip, prefix, enabled, kind = (cols.get(c) for c in ("IP Address", "Subnet Mask/Prefix", "Enabled", "Type"))
    for ri, row in enumerate(t.rows):
        cell = lambda i: row[i] if i is not None and i < len(row) else None  # noqa: E731
        if not blank(cell(ip)):
            continue
        r.use_row(si, ti, ri)
        out.append(Address(address=blank(cell(ip)) or "", prefix=blank(cell(prefix)),
                           enabled=flag(cell(enabled)) if enabled is not None else None, type=blank(cell(kind)),
                           src=r.src(si, ti=ti, ri=ri, label=t.headers[ip] if ip < len(t.headers) else "")))
    return out


def routes(r: Reader) -> list[Route] | None:
    if not r.ok:
        return None
    out = []
    for si, ti, t, cols in r.tables("Destination", optional=("Netmask/Prefix", "Gateway", "Interface")):
        for ri, row in enumerate(t.rows):
            cell = lambda c: blank(row[cols[c]]) if cols[c] is not None and cols[c] < len(row) else None  # noqa: E731,B023
            if len(row) < 2 or not cell("Destination"):
                continue  # "No static routes are configured."
            r.use_row(si, ti, ri)
            out.append(Route(destination=cell("Destination") or "", prefix=cell("Netmask/Prefix"),
                             gateway=cell("Gateway"), interface=cell("Interface"),
                             src=r.src(si, ti=ti, ri=ri, label=cell("Destination") or "")))
    return out


def snmp(r: Reader) -> Snmp | None:
    if not r.ok:
        return None
    v3 = lambda title: "v3" in title.casefold()  # noqa: E731
    out = Snmp(v2_enabled=r.flag("Enable SNMPv2"), v3_enabled=r.flag("Enable SNMPv3"),
               communities=r.secrets_having("community"), location=r.text("System Location"),
               contact=r.text("System Contact"), allowed=r.items("IP Restrictions"),
               v3_username=r.text("Username", where=v3), v3_auth_protocol=r.text("Authentication Protocol", where=v3),
               v3_privacy_protocol=r.text("Privacy Protocol", where=v3))
    out.v3_secrets = r.secret_fields(where=v3)
    return out


def tls(r: Reader) -> Tls | None:
    if not r.ok:
        return None
    out = Tls()
    for si, s in r.sections():
        for fi, f in enumerate(s.fields):
            m = _PROTOCOL.match(f.label)
            if m and (si, fi) not in r.used and f.kind in ("checkbox", "radio", "select", "text", "static", "dl", "row"):
                r.used.add((si, fi))
                proto, version = m.group(1).upper(), m.group(2)
                if proto == "TLS" and "." not in version:
                    version += ".0"
                name = f"{proto}v{version}"
                out.protocols.append(Protocol(name=name, enabled=flag(f.value), src=r.src(si, fi)))
    for si, ti, t, cols in r.tables("Cipher Suite", optional=("Enabled", "Order")):
        for ri, row in enumerate(t.rows):
            name = blank(row[cols["Cipher Suite"]]) if cols["Cipher Suite"] < len(row) else None  # type: ignore[operator]
            if not name:
                continue
            r.use_row(si, ti, ri)
            on = cols["Enabled"]
            order = cols["Order"]
            pos = row[order].strip() if order is not None and order < len(row) else ""
            out.ciphers.append(Cipher(name=name, enabled=flag(row[on]) if on is not None and on < len(row) else True,
                                      position=int(pos) if pos.isdigit() else len(out.ciphers) + 1,
                                      src=r.src(si, ti=ti, ri=ri, label=name)))
    out.ciphers.sort(key=lambda c: c.position)
    return out


def administration(r: Reader) -> Administration | None:
    if not r.ok:
        return None
    syslog = lambda t: r.vocab.has(t, "syslog")  # noqa: E731
    agreement = lambda t: r.vocab.has(t, "agreement")  # noqa: E731
    # Within their own sections when the page has them ("Title" alone means the agreement's only there).
    in_syslog = syslog if any(True for _ in r.sections(syslog)) else None
    in_agreement = agreement if any(True for _ in r.sections(agreement)) else None
    out = Administration(
        syslog=Syslog(servers=r.items("Remote Syslog Server", where=in_syslog),
                      format=r.text("Message Format", where=in_syslog)),
        agreement=Agreement(enabled=r.flag("Require Prerequisite Login Agreement", where=in_agreement),
                            title=r.text("Agreement Title", where=in_agreement),
                            text=r.text("Agreement Text", where=in_agreement)))
    out.restrictions = r.settings(where=lambda t: not syslog(t) and not agreement(t))
    return out


def email(r: Reader) -> Email | None:
    if not r.ok:
        return None
    return Email(relay=r.text("SMTP Relay Server"), port=r.text("SMTP Port"), encryption=r.text("SMTP Encryption"),
                 authentication=r.text("Authentication Method"), username=r.text("SMTP Username"),
                 password=r.secret("SMTP Password"), sender=r.text("From Address"),
                 recipients=r.items("Admin Contact Email Addresses"))




def own_addresses(rec, vocab, deployment: str = "onprem") -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    """The appliance's own addresses, read only from its IP Configuration page (never the address bt-capture
    connected to, which behind NAT, a load balancer or on cloud sites is not the appliance's), and where they
    came from or why none are known."""
    if rec is None or rec.status != "ok":
        why = ("not known: cloud sites have no IP Configuration page" if deployment == "cloud" else
               "not known: the IP Configuration page was not captured")
        return [], why
    r = Reader(rec, vocab)
    addrs = [a.address.split("/")[0].split()[0] for n in nics(r) for a in n.addresses if a.address]
    own = sorted({a for a in addrs if is_ip(a)})
    return own, ("from the IP Configuration page" if own else "not known: the IP Configuration page lists no address")
