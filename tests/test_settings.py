"""The settings model: read from page records in any wording, with provenance; the certificate choice; migration."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

import flows.settings as settings
from pydantic import BaseModel

from capture.records import Field, Snapshot, Table
from capture.store import snapshot_name
from flows.certificate import choose
from flows.settings.model import Certificate, Setting, Source
from flows.settings.schema import DOC, text
from modelhelpers import p12, page, peer, sec, snap


def model_of(*pages: Any, **kw: Any) -> settings.Settings:
    return settings.build(snap("bt1", "bt1.example.test", "SN1", *pages, **kw))


def test_every_part_of_the_issue_table_is_read_with_its_source() -> None:
    m = model_of(*peer(1))
    assert (m.identity.appliance_version.value, m.identity.serial_number.value, m.identity.model.value,
            m.identity.site_hostname.value) == ("7.1.1", "SN1", "B400", "support.example.test")
    net = m.network
    assert (net.hostname.value, net.gateway4.value, net.gateway6.value, net.dns_servers.value) == (
        "bt1.example.test", "10.20.30.1", "fd00::1", ["10.20.0.53", "10.20.0.54"])
    nic = net.nics[0]
    assert (nic.name, nic.mac.value, nic.mac.hardware, nic.media.value) == ("eth0", "00:50:56:00:00:01", True,
                                                                             "Auto-negotiate")
    assert [(a.address, a.prefix, a.enabled) for a in nic.addresses] == [("10.20.30.41", "255.255.255.0 (/24)", True)]
    assert [(r.destination, r.gateway, r.interface) for r in m.routes] == [("10.50.0.0", "10.20.30.254", "eth0")]
    assert m.snmp.v2_enabled.value is True and [c.is_set for c in m.snmp.communities] == [True]
    assert m.snmp.location.value == "DC1" and m.snmp.allowed.value == ["10.20.40.0/24"]
    assert [(c.name, c.private_key, c.default, c.ips) for c in m.certificates.installed] == [
        ("support.example.test", True, True, ["10.20.30.41"]), ("Default", True, False, [])]
    assert m.certificates.site.name == "support.example.test" and m.certificates.site.decided_by == "page"
    assert [(p.name, p.enabled) for p in m.tls.protocols] == [("TLSv1.2", True), ("TLSv1.3", True)]
    assert [c.name for c in m.tls.ciphers if c.enabled] == ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                                            "ECDHE-RSA-AES256-GCM-SHA384"]
    adm = m.administration
    assert adm.syslog.servers.value == ["syslog1.example.test"] and adm.syslog.format.value == "Syslog RFC 5424"
    assert adm.agreement.enabled.value is True and adm.agreement.title.value == "Authorized Use Only"
    assert [(s.label, s.value) for s in adm.restrictions] == [("Failed Login Attempts Before Lockout", "5")]
    assert (m.email.relay.value, m.email.port.value, m.email.password.is_set) == ("smtp.example.test", "587", True)
    lg = m.login
    assert (lg.software.product_version.value, lg.failover.role.value, lg.failover.peer_role.value,
            lg.failover.peer_hostname.value, lg.preshared_key.is_set) == ("25.1.2", "primary", "backup",
                                                                          "bt2.example.test", True)
    assert lg.failover.backup_operations.value is True and lg.failover.sync_interval.value == "Every 4 hours"
    src = net.gateway4.src
    assert (src.flow, src.section, src.label) == ("appliance.networking.ip_configuration",
                                                  "Global Network Configuration", "Default Gateway")
    # No secret value anywhere in the model: only whether it is set.
    assert "[redacted]" not in m.model_dump_json()


def test_what_no_part_names_is_kept_with_its_label() -> None:
    pages = peer(1)
    pages[0].sections[0].fields.append(Field(label="Time Zone", value="UTC"))
    m = model_of(*pages)
    other = {(s.src.flow, s.label): s.value for s in m.other}
    assert other[("appliance.status.basics", "Time Zone")] == "UTC"
    assert other[("login.status.information", "Company Name")] == "Example Corp"
    assert other[("login.management.security", "Minimum Password Length")] == "12"
    # Every value of every page is named by a part or kept in `other`: walk the model's sources.
    seen: set[tuple[str, str, str]] = set()

    def walk(o: Any) -> None:
        if isinstance(o, Source):
            seen.add((o.flow, o.section, o.label))
        elif isinstance(o, BaseModel):
            for k in type(o).model_fields:
                walk(getattr(o, k))
        elif isinstance(o, list):
            for x in o:
                walk(x)
    walk(m)
    labels = {(p.flow, s.title.split(" :: ")[-1], f.label) for p in pages for s in p.sections for f in s.fields}
    assert labels - seen == set()


def test_labels_in_other_wordings_and_groupings() -> None:
    """Qualifiers, colons, asterisks, word order and synonyms; a NIC named by its own section (a fieldset legend)."""
    ip = page("appliance.networking.ip_configuration",
              sec("Network", ("Host Name:", "bt1.example.test"), ("Default Gateway (IPv4) *", "10.1.1.1"),
                  ("Default Gateway (IPv6)", "fd00::1"), ("Name Servers", "10.1.0.53 10.1.0.54"),
                  ("DNS Search Domains (optional)", "example.test")),
              sec("NIC Configuration :: ens192", tables=[Table(headers=["Address", "Prefix Length", "On"],
                                                                   rows=[["10.1.1.5", "/24", "yes"]])]))
    m = model_of(ip)
    net = m.network
    assert (net.hostname.value, net.gateway4.value, net.gateway6.value) == ("bt1.example.test", "10.1.1.1", "fd00::1")
    assert net.dns_servers.value == ["10.1.0.53", "10.1.0.54"] and net.search_domains.value == ["example.test"]
    assert [(n.name, [a.address for a in n.addresses]) for n in net.nics] == [("ens192", ["10.1.1.5"])]


def test_certificate_choice_behind_nat() -> None:
    """The address bt-capture connects to (a NAT's) is never the appliance's: only IP Configuration says that."""
    own = ["10.20.30.41"]
    nat = Certificate(name="nat-bound", sans=["support.example.test"], ips=["203.0.113.7"], private_key=True,
                      default=True, expires_on=date(2030, 1, 1))
    mine = Certificate(name="own-bound", sans=["support.example.test"], ips=["10.20.30.41"], private_key=True,
                       default=False, expires_on=date(2027, 1, 1))
    c = choose([nat, mine], ["bt1.example.test", "support.example.test"], own, "from the IP Configuration page")
    assert c.name == "own-bound" and "bound to the appliance's own address 10.20.30.41" in c.reason
    # Bound only to the NAT's address, it still qualifies (hostname and key); the dossier notes the binding.
    c = choose([nat], ["support.example.test"], own, "from the IP Configuration page")
    assert c.name == "nat-bound" and "do not include the appliance's own addresses (10.20.30.41)" in c.reason
    checks = {k.name: k for k in c.candidates[0].checks}
    assert checks["bound to the appliance's own address"].passed is False
    assert checks["hostname in Alternative Names"].passed and checks["Private Key? Yes"].passed


def test_certificate_choice_on_a_cloud_site() -> None:
    cloud = Certificate(name="support.example.test", sans=["support.example.test"], ips=["198.51.100.9"],
                        private_key=True)
    vendor = Certificate(name="*.beyondtrustcloud.com", sans=["*.beyondtrustcloud.com"], private_key=True)
    c = choose([vendor, cloud], ["support.example.test"], [], "not known: cloud sites have no IP Configuration page")
    assert c.name == "support.example.test" and "the only certificate" in c.reason
    ip_check = next(k for k in c.candidates[0].checks if k.name.startswith("bound"))
    assert ip_check.passed is None and "cloud sites have no IP Configuration page" in ip_check.detail
    assert [x.name for x in c.candidates] == ["support.example.test"]  # the vendor's wildcard names another host


def test_certificate_choice_when_two_qualify() -> None:
    def cert(name: str, default: bool, expires: date, ips: list[str] | None = None) -> Certificate:
        return Certificate(name=name, sans=["*.example.test"], ips=ips or [], private_key=True, default=default,
                           expires_on=expires, expires=expires.isoformat())
    old, new = cert("old", False, date(2027, 1, 1)), cert("new", False, date(2029, 1, 1))
    assert choose([old, new], ["bt1.example.test"], [], "not known").name == "new"
    assert "latest expiry (2029-01-01)" in choose([old, new], ["bt1.example.test"], [], "not known").reason
    marked = cert("marked", True, date(2026, 6, 1))
    c = choose([new, marked], ["bt1.example.test"], [], "not known")
    assert c.name == "marked" and "marked default" in c.reason
    bound = cert("bound", False, date(2026, 3, 1), ["10.0.0.5"])
    c = choose([marked, new, bound], ["bt1.example.test"], ["10.0.0.5"], "from the IP Configuration page")
    assert c.name == "bound" and c.reason.startswith("3 certificates qualify")


def test_certificate_choice_when_none_qualifies() -> None:
    nokey = Certificate(name="support.example.test", sans=["support.example.test"], private_key=False)
    c = choose([nokey], ["support.example.test"], [], "not known")
    assert c.name is None and "no certificate qualifies: support.example.test: Private Key? is no" == c.reason
    c = choose([Certificate(name="other", sans=["other.test"], private_key=True)], ["support.example.test"], [], "")
    assert c.name is None and "no certificate lists support.example.test" in c.reason
    m = model_of(page("appliance.security.certificates", sec("Security :: Other Certificates", tables=[Table(
        headers=["Issued To", "Alternative Names", "Private Key?"], rows=[["x", "x.test", "Yes"]])])))
    assert m.certificates.site.name is None and any("no certificate lists" in n for n in m.notes)


def test_the_export_decision_is_what_the_model_keeps() -> None:
    chosen = choose([Certificate(name="support.example.test", sans=["support.example.test"], private_key=True)],
                    ["support.example.test"], [], "not known").model_dump(mode="json") | {"decided_by": "export"}
    m = model_of(*peer(1), artifacts=[p12(choice=chosen)])
    assert m.certificates.site.decided_by == "export" and m.certificates.exported.sha256.value == "aa" * 32


def test_a_version_1_manifest_is_read_by_building_its_model(tmp_path: Any) -> None:
    old = json.loads(snap("bt1", "bt1.example.test", "SN1", *peer(1)).model_dump_json())
    old["schema_version"] = 1
    old.pop("settings")
    for p in old["pages"]:
        for s in p["sections"]:
            for f in s["fields"]:
                f.pop("box")
            for t in s["tables"]:
                t.pop("boxes")
    s = Snapshot.model_validate(old)
    m = settings.of(s)
    assert m.network.gateway4.value == "10.20.30.1" and "older bt-capture" in m.notes[-1]
    stored = snap("bt1", "bt1.example.test", "SN1", *peer(1))
    stored.settings = settings.build(stored).model_dump(mode="json")
    stored.settings["network"]["gateway4"]["value"] = "10.99.99.1"  # what the capture stored is what is read
    assert settings.of(Snapshot.model_validate_json(stored.model_dump_json())).network.gateway4.value == "10.99.99.1"


def test_the_json_schema_in_docs_is_up_to_date() -> None:
    assert DOC.read_text() == text(), "docs/settings.schema.json is stale: run `python -m flows.settings.schema`"
    schema = json.loads(DOC.read_text())
    assert {"identity", "network", "routes", "snmp", "certificates", "tls", "administration", "email", "login",
            "other"} <= set(schema["properties"])


def test_cloud_snapshots_are_named_from_what_login_shows() -> None:
    t = datetime(2026, 11, 26, 2, 38, tzinfo=timezone.utc)
    s = Snapshot(deployment="cloud", site_hostname="support.example.test", product_version="25.1.2",
                 product_build="25.1.2 (b.27113) 2025-04-17", started_at=t, identity={})
    assert snapshot_name(s, "bt1.example.test") == (
        "support.example.test_25.1.2_build-b.27113-2025-04-17_2026-11-26T0238Z", [])
    s.product_build = None
    name, unknown = snapshot_name(s, "x")
    assert name == "support.example.test_25.1.2_build-unknown_2026-11-26T0238Z" and unknown == ["product build"]
    onprem = Snapshot(started_at=t, identity={"appliance_version": "7.1.1", "serial_number": "SN1",
                                              "base_software_version": "7.1.1", "system_time": "2026-11-26 02:40 UTC",
                                              "hostname": "bt1.example.test"})
    assert snapshot_name(onprem, "x") == ("bt1.example.test_7.1.1_SN1_base-7.1.1_2026-11-26T0240Z", [])


def test_settings_are_plain_data() -> None:
    """The `other` entries and sources round-trip through JSON (the manifest) unchanged."""
    m = model_of(*peer(2, role="Backup"))
    again = settings.Settings.model_validate_json(m.model_dump_json())
    assert again == m and isinstance(again.other[0], Setting)
