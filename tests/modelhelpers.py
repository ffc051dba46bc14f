"""Hand-made page records and snapshots for the settings model and the diff: a failover peer's pages, any wording."""
from __future__ import annotations

from typing import Any

from capture.records import Artifact, Field, PageRecord, Section, Snapshot, Table, Verification

CIPHERS = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "AES128-SHA"]


def page(flow: str, *sections: Section, title: str = "", interface: str = "appliance") -> PageRecord:
    return PageRecord(flow=flow, interface=interface, title=title or flow, sections=list(sections))  # type: ignore[arg-type]


def sec(title: str, *fields: tuple[str, str] | Field, tables: list[Table] | None = None) -> Section:
    fs = [f if isinstance(f, Field) else Field(label=f[0], value=f[1]) for f in fields]
    return Section(title=title, fields=fs, tables=tables or [])


def box(label: str, on: bool) -> Field:
    return Field(label=label, value="on" if on else "off", kind="checkbox")


def secret(label: str, is_set: bool = True) -> Field:
    return Field(label=label, value="[redacted]", kind="password", secret=True, is_set=is_set)


def snap(label: str, host: str, serial: str, *pages: PageRecord, **kw: Any) -> Snapshot:
    return Snapshot(name=f"{host}_{serial}", label=label, appliance_hostname=host, pages=list(pages),
                    identity={"hostname": host, "serial_number": serial}, **kw)


def p12(sha256: str = "aa" * 32, serial: str = "01", chain: tuple[str, ...] = ("bb" * 32,),
        choice: dict[str, Any] | None = None) -> Artifact:
    details = {"subject": "CN=support.example.test", "issuer": "CN=Example CA", "sans_dns": ["support.example.test"],
               "sans_ip": [], "serial": serial, "sha256": sha256, "sha1": sha256[:40], "spki_sha256": "cc" * 32,
               "not_before": "2026-01-01T00:00:00+00:00", "not_after": "2028-01-01T00:00:00+00:00",
               "key": {"type": "RSA", "size": 2048},
               "chain": [{"subject": "CN=support.example.test", "sha256": sha256}] +
               [{"subject": f"CN=CA {i}", "sha256": c} for i, c in enumerate(chain)]}
    return Artifact(kind="p12", path="artifacts/site-certificate.p12", size=100, sha256="dd" * 32, obtained="ui",
                    created_at="2026-01-01T00:00:00Z", options={"choice": choice} if choice else {},
                    verification=Verification(verdict="pass", details=details))


def peer(n: int, *, model: str = "B400", own_ip: str | None = None, gateway: str = "10.20.30.1",
         syslog: str = "syslog1.example.test", relay: str = "smtp.example.test", location: str = "DC1",
         agreement: bool = True, lockout: str = "5", base: str = "7.1.1 (rev. 52390)", role: str = "Primary",
         ciphers: list[tuple[str, bool]] | None = None, protocols: tuple[bool, bool] = (True, True),
         route_gw: str = "10.20.30.254", product: str = "25.1.2", psk: bool = True, v23: bool = False,
         cert_ips: list[str] | None = None, company: str = "Example Corp") -> list[PageRecord]:
    """One appliance of a healthy pair, as the simulator's 25.1 pages (or 23.3's one-section NIC layout)."""
    host, ip = f"bt{n}.example.test", own_ip or f"10.20.30.{40 + n}"
    nic_fields = [("Interface", "eth0"), ("MAC Address", f"00:50:56:00:00:0{n}"), ("Link Detected", "Yes"),
                  ("Speed/Duplex Setting", "Auto-negotiate")]
    ips = Table(headers=["IP Address", "Subnet Mask/Prefix", "Enabled", "Type"],
                rows=[[ip, "255.255.255.0 (/24)", "on", "Static"]])
    nics = [sec("Networking :: NIC Configuration", *nic_fields, tables=[ips])] if v23 else \
        [sec("eth0", *nic_fields, tables=[ips])]
    ciphers = ciphers if ciphers is not None else [(c, c != "AES128-SHA") for c in CIPHERS]
    cipher_rows = [[str(i + 1), "on" if on else "off", name, ""] for i, (name, on) in enumerate(ciphers)]
    cert_rows = [["off", "support.example.test", "Example CA", "support.example.test bt1.example.test bt2.example.test",
                  " ".join(cert_ips if cert_ips is not None else [ip]), "Yes", "Jan 05 2028", "on"],
                 ["off", "Default", "Default", "—", "—", "Yes", "Dec 01 2036", "off"]]
    return [
        page("appliance.status.basics", sec("Status :: Basics", ("Appliance Version", "7.1.1"),
                                             ("Serial Number", f"SN{n}"), ("Base Software Version", base),
                                             ("System Time", f"2026-11-26 02:38:1{n} UTC"), ("Model", model),
                                             ("Hostname", host), ("Uptime", f"{n} days"))),
        page("appliance.networking.ip_configuration",
             sec("Networking :: Global Network Configuration", ("Hostname", host), ("Default Gateway", gateway),
                 ("IPv6 Default Gateway", "fd00::1"), ("DNS Servers", "10.20.0.53, 10.20.0.54")), *nics),
        page("appliance.networking.static_routes", sec("Networking :: Static Routes", tables=[Table(
            headers=["Destination", "Netmask/Prefix", "Gateway", "Interface", "Actions"],
            rows=[["10.50.0.0", "255.255.0.0 (/16)", route_gw, "eth0", ""]])])),
        page("appliance.networking.snmp", sec("Networking :: SNMPv2", box("Enable SNMPv2", True),
                                              Field(label="Read-Only Community Name", value="[redacted]",
                                                    secret=True, is_set=True),
                                              ("System Location", location), ("IP Restrictions", "10.20.40.0/24"))),
        page("appliance.security.certificates", sec("Security :: Other Certificates", tables=[Table(
            headers=["", "Issued To", "Issued By", "Alternative Name(s)", "IP Address(es)", "Private Key?", "Expires",
                     "Default"], rows=cert_rows)])),
        page("appliance.security.ssl_tls",
             sec("Security :: SSL/TLS Configuration" if v23 else "Security :: TLS Configuration",
                 box("TLSv1.2", protocols[0]), box("TLSv1.3", protocols[1])),
             sec("Security :: Cipher Suites", tables=[Table(headers=["Order", "Enabled", "Cipher Suite", "Move"],
                                                            rows=cipher_rows)])),
        page("appliance.security.appliance_administration",
             sec("Security :: Account Restrictions", ("Failed Login Attempts Before Lockout", lockout)),
             sec("Security :: Syslog", ("Remote Syslog Server", syslog), ("Message Format", "Syslog RFC 5424")),
             sec("Security :: /appliance Prerequisite Login Agreement",
                 box("Require Prerequisite Login Agreement", agreement), ("Agreement Title", "Authorized Use Only"))),
        page("appliance.security.email_configuration",
             sec("Security :: Email Configuration", ("SMTP Relay Server", relay), ("SMTP Port", "587"),
                 ("SMTP Username", f"bt{n}-mailer@example.test"), secret("SMTP Password"),
                 ("From Address", f"{host}@example.test"))),
        page("login.status.information", sec("Status :: Information", ("Product Version", product),
                                              ("Product Build", f"{product} (b.27113)"),
                                              ("Site Hostname", "support.example.test"), ("Company Name", company),
                                              ("Failover Role", role)), interface="login"),
        page("login.management.failover",
             sec("Failover :: This Host's Status", ("Hostname", host), ("Role", f"{role} Site Instance")),
             sec("Failover :: Peer Host's Status", ("Hostname", f"bt{3 - n}.example.test"),
                 ("Role", f"{'Backup' if role == 'Primary' else 'Primary'} Site Instance"),
                 ("Last Status Check", f"2026-11-26 02:38:0{n} UTC")),
             sec("Failover :: Backup Settings", box("Enable Backup Operations", True),
                 Field(label="Automatic Data-Sync Interval", value="Every 4 hours", kind="select")),
             sec("Failover :: Backup Site Instance Status", ("Last Data Sync Time", f"2026-11-26 01:0{n}:00 UTC"),
                 ("Last Data Sync Status", "Success")), interface="login"),
        page("login.management.security", sec("Security :: Options", ("Minimum Password Length", "12"),
                                               secret("Inter-appliance Communication Pre-shared Key", psk)),
             interface="login"),
    ]
