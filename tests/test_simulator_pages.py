"""Every /appliance and /login page of both versions renders in Chromium with its values (navigating by menu text)."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from simhelpers import appliance_login, click_menu, label_value, login_login, visible_text

pytestmark = pytest.mark.xdist_group("sim_pages")

A = dict[str, Any]
Check = Callable[[Any, A], None]


def val(label: str, expected: str | Callable[[A], str], op: str = "eq") -> Check:
    def check(page: Any, a: A) -> None:
        want = expected(a) if callable(expected) else expected
        got = label_value(page, label)
        assert got is not None, f"label {label!r} not found"
        if op == "eq":
            assert got == want, f"{label}: {got!r} != {want!r}"
        elif op == "startswith":
            assert got.startswith(want), f"{label}: {got!r} does not start with {want!r}"
        else:
            assert re.search(want, got), f"{label}: {got!r} !~ {want!r}"
    return check


def has(*texts: str | Callable[[A], str]) -> Check:
    def check(page: Any, a: A) -> None:
        body = visible_text(page)
        for t in texts:
            t = t(a) if callable(t) else t
            assert t in body, f"{t!r} not on the page"
    return check


def lacks(fn: Callable[[A], str]) -> Check:
    def check(page: Any, a: A) -> None:
        assert fn(a) not in page.content()
    return check


APPLIANCE = {
    ("Status", "Basics"): [val("Serial Number", lambda a: a["serial_number"]),
                           val("Appliance Version", lambda a: a["appliance_version"]),
                           val("Base Software Version", lambda a: a["base_software_version"]),
                           val("System Time", r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", "re"),
                           val("Hostname", lambda a: a["appliance_hostname"]), val("Uptime", r"days", "re")],
    ("Status", "Health"): [val("Memory", "GB", "re"), has("Session Manager")],
    ("Users",): [has("Appliance Administrator", "User :: Add")],
    ("Networking", "IP Configuration"): [val("Hostname", lambda a: a["appliance_hostname"]),
                                         val("DNS Servers", "10.20.0.53, 10.20.0.54"),
                                         val("Default Gateway", "10.20.30.1"),
                                         has("eth0", "eth1", "10.20.30.41", "Subnet Mask/Prefix", "Show details")],
    ("Networking", "Static Routes"): [has("Destination", "Netmask/Prefix", "Gateway", "Interface", "10.50.0.0",
                                          "172.16.8.0")],
    ("Networking", "SNMP"): [val("Enable SNMPv2", "true"), val("System Location", "DC1 Ashburn", "startswith"),
                             val("Read-Only Community Name", "CANARYSnmpCommunity", "startswith"),
                             val("IP Restrictions", "10.20.40.0/24, 10.20.41.17"),
                             val("Authentication Protocol", "SHA"), val("Privacy Protocol", "AES"),
                             val("Username", "snmpmon")],
    ("Storage", "Status"): [val("RAID Status", "Optimal"), has("Hard Drive Status")],
    ("Storage", "Encryption"): [val("Session Data Encryption", "Enabled")],
    ("Security", "Certificates"): [has("Security :: Let's Encrypt™ Certificates", "Security :: Other Certificates",
                                       "Alternative Name(s)", "IP Address(es)", "Private Key?", "Issued To",
                                       "legacy.example.test", "Example Corp Root CA")],
    ("Security", "TLS"): [val("TLSv1.2", "true"), val("TLSv1.3", "true"), val("TLSv1.0", "false"),
                          has("TLS_AES_256_GCM_SHA384", "Cipher Suite")],
    ("Security", "Appliance Administration"): [
        val("Remote Syslog Server", "syslog1.example.test, 10.20.40.15"), val("Message Format", "Syslog RFC 5424"),
        val("Default Action", "Reject"), val("Agreement Title", "Authorized Use Only"),
        val("Require Prerequisite Login Agreement", "true"), val("Accepted Addresses", "10.20.0.0/16", "startswith"),
        has("Security :: Syslog", "Security :: /appliance Prerequisite Login Agreement",
            "Security :: Reset Admin Account")],
    ("Security", "Email Configuration"): [val("SMTP Relay Server", "smtp.example.test"), val("SMTP Port", "587"),
                                          val("SSL Certificate Expiration Notice", "true"),
                                          has("Security :: Email Configuration")],
    ("Updates",): [val("Base Software Version", lambda a: a["base_software_version"])],
    ("Support", "Utilities"): [val("Host", "")],
    ("Support", "Advanced Support"): [val("Support Code", "")],
}

LOGIN = {
    ("Status", "Information"): [val("Product Version", lambda a: a["product_version"]),
                                val("Product Build", lambda a: a["product_build"]),
                                val("Site Hostname", lambda a: a["site_hostname"]),
                                val("Failover Role", "None", "startswith")],
    ("Status", "Users"): [has("Logged In Since", "jdoe")],
    ("Consoles & Downloads",): [has("Representative Console")],
    ("My Account",): [val("Username", "admin"), val("Two-Factor Authentication", "Active")],
    ("Configuration",): [val("Company Display Name", "Example Corp IT Support"),
                         val("Enable Session Recording", "true")],
    ("Jump", "Jump Clients"): [has("fs01.example.test")],
    ("Jump", "Jumpoint"): [has("DC1-Jumpoint")],
    ("Vault",): [has("svc-backup")],
    ("Users & Security", "Users"): [has("jdoe", "Two-Factor Authentication")],
    ("Users & Security", "Group Policies"): [has("Network Engineers")],
    ("Users & Security", "Security Providers"): [has("EXAMPLE-AD (LDAP)")],
    ("Reports",): [val("Start Date", "2025-01-01")],
    ("Management", "SOFTWARE"): [val("Include logged history", "false"), val("Backup Password", ""),
                                 has("Software :: Backup Settings", "Software :: Backup Vault Encryption Key")],
    ("Management", "API Configuration"): [val("Enable XML API", "true"),
                                          has(lambda a: a["credentials"]["api"]["client_id"], "Backup API"),
                                          lacks(lambda a: a["credentials"]["api"]["client_secret"])],
    ("Management", "Failover"): [has("not in a failover relationship")],
    ("Management", "Security"): [val("Minimum Password Length", "12"),
                                 val("Inter-appliance Communication Pre-shared Key", "CANARYPreSharedKey",
                                     "startswith")],
    ("Management", "Email Configuration"): [val("SMTP Relay Server", "smtp.example.test"),
                                            val("Send Daily Communication Notice", "true")],
}


def _labels(version: str, path: tuple[str, ...]) -> tuple[str, ...]:
    names = {"TLS": "SSL/TLS Configuration" if version == "23.3" else "TLS Configuration",
             "SOFTWARE": "Software Management" if version == "23.3" else "Software"}
    return tuple(names.get(p, p) for p in path)


@pytest.fixture(scope="module", params=["25.1", "23.3"])
def version(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def sims(sim_onprem: Any, sim_v23: Any) -> dict[str, Any]:
    return {"25.1": sim_onprem, "23.3": sim_v23}


@pytest.fixture(scope="module")
def appliance_page(browsers: Any, sims: dict[str, Any], version: str) -> Any:
    sim = sims[version]
    page = browsers.page(sim)
    appliance_login(page, sim.info()["appliances"][0])
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def login_page(browsers: Any, sims: dict[str, Any], version: str) -> Any:
    sim = sims[version]
    page = browsers.page(sim)
    login_login(page, sim.info()["appliances"][0])
    yield page
    page.context.close()


def _visit(page: Any, path: tuple[str, ...], home: str) -> None:
    page.goto(home)
    click_menu(page, *path)
    # A single-page menu has no sub-links; the page is reached by its top item alone.


def _canaries_hidden(page: Any, canaries: list[str], allowed: tuple[str, ...] = ()) -> None:
    text = visible_text(page)
    leaked = [c for c in canaries if c in text and not c.startswith(allowed)]
    assert not leaked, f"secret values visible on the page: {leaked}"


@pytest.mark.parametrize("path", list(APPLIANCE), ids=lambda p: "/".join(p))
def test_appliance_page(appliance_page: Any, sims: dict[str, Any], version: str, path: tuple[str, ...]) -> None:
    info = sims[version].info()
    a = info["appliances"][0]
    _visit(appliance_page, _labels(version, path), a["appliance_url"])
    assert "Log Out" in visible_text(appliance_page)
    for check in APPLIANCE[path]:
        check(appliance_page, a)
    # Only the SNMP community is shown in clear text, as on the real page.
    _canaries_hidden(appliance_page, info["canaries"], ("CANARYSnmpCommunity",))


@pytest.mark.parametrize("path", list(LOGIN), ids=lambda p: "/".join(p))
def test_login_page(login_page: Any, sims: dict[str, Any], version: str, path: tuple[str, ...]) -> None:
    info = sims[version].info()
    a = info["appliances"][0]
    _visit(login_page, _labels(version, path), a["login_url"])
    for check in LOGIN[path]:
        check(login_page, a)
    _canaries_hidden(login_page, info["canaries"])


def test_section_headers_follow_vendor_pattern(appliance_page: Any, sims: dict[str, Any], version: str) -> None:
    a = sims[version].info()["appliances"][0]
    _visit(appliance_page, ("Security",), a["appliance_url"])
    text = visible_text(appliance_page)
    for header in ("Security :: Let's Encrypt™ Certificates", "Security :: Other Certificates"):
        assert header in text
    assert re.search(r"^\w[\w /&]* :: ", text, re.M)


def test_show_details_toggles_without_a_request(appliance_page: Any, sims: dict[str, Any], version: str) -> None:
    a = sims[version].info()["appliances"][0]
    _visit(appliance_page, ("Networking",), a["appliance_url"])
    mac = appliance_page.get_by_text("MAC Address", exact=True).first
    assert not mac.is_visible()
    requests: list[str] = []

    def seen(r: Any) -> None:
        requests.append(r.url)

    appliance_page.on("request", seen)
    try:
        appliance_page.get_by_text("Show details", exact=True).first.click()
        assert mac.is_visible()
        for label in ("Interface", "MAC Address", "Link Detected", "Speed", "Duplex"):
            assert appliance_page.get_by_text(label, exact=True).first.is_visible()
        assert label_value(appliance_page, "MAC Address").startswith("00:50:56:")
    finally:
        appliance_page.remove_listener("request", seen)
    assert requests == []
