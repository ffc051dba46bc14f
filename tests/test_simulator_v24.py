"""Simulated release 24.1 in Chromium: hover/collapsible menus, older wordings, checkbox agreement, masked 2FA, 302s, UI exports."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, pkcs12
from simhelpers import api_token, http_client, visible_text
from v24helpers import (
    A,
    _exact,
    appliance_go,
    appliance_login,
    has,
    login_go,
    login_login,
    val,
    value,
)

from fixtures import SimOptions, Simulator, nsb

pytestmark = pytest.mark.xdist_group("sim_v24")

APPLIANCE = {
    ("Status", "Basics"): [val("Serial Number", lambda a: a["serial_number"]), val("Appliance Version", "6.4.2"),
                           val("Base Software Version", lambda a: a["base_software_version"]),
                           val("System Time", r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", "re"),
                           val("Hostname", lambda a: a["appliance_hostname"])],
    ("Users",): [has("Appliance Administrator", "User :: Add")],
    ("Networking", "IP Configuration"): [val("Hostname", lambda a: a["appliance_hostname"]),
                                         val("DNS Servers", "10.20.0.53, 10.20.0.54"),
                                         val("Default Gateway", "10.20.30.1"), has("Subnet Mask/Prefix", "Show details")],
    ("Networking", "Static Routes"): [has("Netmask/Prefix", "Gateway", "10.50.0.0", "172.16.8.0")],
    ("Networking", "SNMP"): [val("Enable SNMPv2", "true"), val("System Location", "DC1 Ashburn", "startswith"),
                             val("Read-Only Community Name", "CANARYSnmpCommunity", "startswith"),
                             val("Authentication Protocol", "SHA"), val("Username", "snmpmon")],
    ("Storage", "Status"): [val("RAID Status", "Optimal")],
    ("Security", "Certificates"): [has("Security :: Other Certificates", "Issued To", "Friendly Name", "Alternative Name",
                                       "Private Key", "legacy.example.test", "Example Corp Root CA")],
    ("Security", "SSL Configuration"): [val("TLSv1.2", "true"), val("TLSv1.0", "false"), has("TLS_AES_256_GCM_SHA384")],
    ("Security", "Appliance Administration"): [
        val("Remote Syslog Server", "syslog1.example.test, 10.20.40.15"), val("Message Format", "Syslog RFC 5424"),
        val("Default Action", "Reject"), val("Require Prerequisite Login Agreement", "true"),
        val("Agreement Title", "Authorized Use Only")],
    ("Security", "Email Configuration"): [val("SMTP Relay Server", "smtp.example.test"), val("SMTP Port", "587"),
                                          val("SSL Certificate Expiration Notice", "true")],
    ("Updates",): [val("Base Software Version", lambda a: a["base_software_version"])],
}
LOGIN = {
    ("Status", "Information"): [val("Product Version", "24.1.3"), val("Product Build", lambda a: a["product_build"]),
                                val("Failover Role", "None", "startswith")],
    ("My Account",): [val("Username", "admin")],
    ("Configuration",): [val("Company Display Name", "Example Corp IT Support")],
    ("Management", "Software Management"): [val("Include logged session reporting data", "false"),
                                            val("Backup Password", ""), has("Software :: Backup Vault Encryption Key")],
    ("Management", "API Configuration"): [val("Enable XML API", "true"),
                                          has(lambda a: a["credentials"]["api"]["client_id"])],
    ("Management", "Failover"): [has("not in a failover relationship")],
    ("Management", "Security"): [val("Minimum Password Length", "12"),
                                 val("Inter-appliance Communication Pre-shared Key", "CANARYPreSharedKey", "startswith")],
    ("Management", "Email Configuration"): [val("SMTP Relay Server", "smtp.example.test")],
}


@pytest.fixture(scope="module")
def sim24() -> Iterator[Simulator]:
    sim = Simulator(SimOptions(version="24.1")).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def a24(sim24: Simulator) -> A:
    return sim24.info()["appliances"][0]


@pytest.fixture(scope="module")
def apage(browsers: Any, sim24: Simulator, a24: A) -> Iterator[Any]:
    page = browsers.page(sim24)
    appliance_login(page, a24)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def lpage(browsers: Any, sim24: Simulator, a24: A) -> Iterator[Any]:
    page = browsers.page(sim24)
    login_login(page, a24)
    yield page
    page.context.close()


def _no_canary(page: Any, sim: Simulator, allowed: tuple[str, ...] = ()) -> None:
    text = visible_text(page)
    assert not [c for c in sim.info()["canaries"] if c in text and not c.startswith(allowed)]


@pytest.mark.parametrize("path", list(APPLIANCE), ids="/".join)
def test_appliance_page(apage: Any, sim24: Simulator, a24: A, path: tuple[str, ...]) -> None:
    appliance_go(apage, *path)
    assert "Log Out" in visible_text(apage)
    assert apage.locator("main, nav, th, label").count() == 0  # the 24.1 markup: none of these
    for check in APPLIANCE[path]:
        check(apage, a24)
    _no_canary(apage, sim24, ("CANARYSnmpCommunity",))


@pytest.mark.parametrize("path", list(LOGIN), ids="/".join)
def test_login_page(lpage: Any, sim24: Simulator, a24: A, path: tuple[str, ...]) -> None:
    login_go(lpage, *path)
    for check in LOGIN[path]:
        check(lpage, a24)
    _no_canary(lpage, sim24)


def test_menus_hover_and_collapse_without_requests(apage: Any, lpage: Any, a24: A) -> None:
    appliance_go(apage, "Networking")  # the parent opens its first sub-page
    assert apage.locator("h1").inner_text() == "IP Configuration"
    seen: list[str] = []
    lpage.on("request", lambda r: seen.append(r.url))
    head = lpage.locator("#leftnav").get_by_role("button", name="Jump", exact=True)
    item = head.locator("xpath=..").locator("li").filter(has_text=_exact("Jumpoint"))
    assert not item.is_visible()
    head.click()
    assert item.is_visible() and head.get_attribute("aria-expanded") == "true"
    head.click()
    assert not item.is_visible()
    assert seen == []


def test_logins_agreement_box_masked_code_and_302(browsers: Any, sim24: Simulator, a24: A) -> None:
    page = browsers.page(sim24)
    page.goto(a24["appliance_url"])
    assert "/appliance/login?next=" in page.url
    page.get_by_role("button", name="Continue", exact=True).click()  # without ticking the box
    page.wait_for_load_state()
    assert "You must accept the terms" in visible_text(page)
    appliance_login(page, a24)
    assert "Log Out" in visible_text(page) and page.url.endswith("/appliance")
    page.goto(a24["login_url"])
    assert "/login/authenticate?next=" in page.url
    login_login(page, a24, code="000000")
    assert "The code is not valid" in visible_text(page)
    assert value(page, "Verification Code") == ""
    page.locator("input[name=code]").fill(pyotp.TOTP(a24["credentials"]["login"]["totp_secret"]).now())
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#leftnav").is_visible() and "Logged in as" in visible_text(page)
    kinds = [e["action"] for e in sim24.events("auth")]
    assert "agreement.accept" in kinds and "login.totp_failed" in kinds
    page.context.close()


def test_idle_session_is_a_302_to_the_login_url() -> None:
    with Simulator(SimOptions(version="24.1", idle_timeout=0.5, agreement=False, totp=False)) as sim:
        a = sim.info()["appliances"][0]
        with http_client(sim.info()) as c:
            r = c.get(a["login_url"], follow_redirects=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
            creds = a["credentials"]["login"]
            r = c.post(f"{a['base_url']}/login/authenticate", follow_redirects=True, data={
                "csrf_token": token, "username": creds["username"], "password": creds["password"], "next": "/login"})
            assert "Log Out" in r.text
            time.sleep(0.8)
            r = c.get(f"{a['base_url']}/login/management/security")
            assert r.status_code == 302
            assert r.headers["location"] == "/login/authenticate?next=%2Flogin%2Fmanagement%2Fsecurity"
            r = c.get(f"{a['base_url']}{r.headers['location']}")
            assert r.status_code == 200 and "Your session has expired" in r.text and 'value="Sign In"' in r.text


def _spki(obj: Any) -> bytes:
    return obj.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_p12_export_through_the_action_dropdown(apage: Any, sim24: Simulator, a24: A, tmp_path: Path) -> None:
    appliance_go(apage, "Security", "Certificates")
    row = apage.locator("table.list tr").filter(has=apage.get_by_role("cell", name=a24["site_hostname"], exact=True))
    assert row.count() == 1
    row.locator("td").last.locator("input[type=checkbox]").check()  # the selection box is the last column
    export = apage.get_by_role("menuitem", name="Export", exact=True)
    assert not export.is_visible()
    apage.get_by_role("button", name="Actions", exact=True).click()
    export.click()
    apage.get_by_role("button", name="Apply", exact=True).click()
    apage.wait_for_load_state()
    assert "Security :: Certificates :: Export" in visible_text(apage)
    for label in ("Include Certificate", "Include Private Key", "Include Certificate Chain"):
        apage.locator(f"xpath=//input[@type='checkbox'][normalize-space(following-sibling::text()[1])='{label}']").check()
    apage.locator("xpath=//div[normalize-space()='Passphrase']/following-sibling::div//input").fill("Pass-24-phrase")
    with apage.expect_download() as dl:
        apage.get_by_role("button", name="Export", exact=True).click()
    data = Path(dl.value.path()).read_bytes()
    p12 = pkcs12.load_pkcs12(data, b"Pass-24-phrase")
    leaf = p12.cert.certificate
    assert _spki(p12.key.public_key()) == _spki(leaf.public_key())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert a24["site_hostname"] in sans.get_values_for_type(x509.DNSName)
    assert len(p12.additional_certs) == 2
    assert sim24.events("destructive") == []


def test_backup_and_vault_key_links_post_their_forms(lpage: Any, sim24: Simulator, a24: A) -> None:
    login_go(lpage, "Management", "Software Management")
    assert lpage.get_by_role("link", name="Download Backup", exact=True).count() == 1  # a link, not a button
    for field in ("backup_password", "backup_confirm"):
        lpage.locator(f"input[name={field}]").fill("Backup-24-pw")
    lpage.locator("xpath=//input[normalize-space(following-sibling::text()[1])="
                  "'Include logged session reporting data']").check()
    with lpage.expect_download() as dl:
        lpage.get_by_role("link", name="Download Backup", exact=True).click()
    meta = nsb.read_header(Path(dl.value.path()).read_bytes()[:64 * 1024])
    assert meta["history"] and meta["password_protected"] and nsb.password_matches(meta, "Backup-24-pw")
    assert meta["product_version"] == "24.1.3"
    for field in ("vault_password", "vault_confirm"):
        lpage.locator(f"input[name={field}]").fill("Vault-24-pw")
    with lpage.expect_download() as dl:
        lpage.get_by_role("link", name="Download Vault Encryption Key", exact=True).click()
    assert Path(dl.value.path()).read_bytes().startswith(nsb.VAULT_MAGIC)
    assert sim24.events("destructive") == []


@pytest.mark.parametrize("mode", ["cloud", "hosted"])
def test_cloud_and_hosted_and_api(mode: str) -> None:
    with Simulator(SimOptions(version="24.1", mode=mode, totp=False)) as sim:
        info = sim.info()
        a = info["appliances"][0]
        with http_client(info) as c:
            token = api_token(c, a["base_url"], a["credentials"]["api"])
            r = c.post(f"{a['base_url']}/api/backup", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and nsb.read_header(r.content)["product_version"] == "24.1.3"
            r = c.get(a["appliance_url"], follow_redirects=True)
            assert r.status_code == 404  # cloud: reached through /login; hosted: no /appliance
            if mode == "cloud":
                r = c.get(a["login_url"], follow_redirects=True)
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
                creds = a["credentials"]["login"]
                c.post(f"{a['base_url']}/login/authenticate", follow_redirects=True, data={
                    "csrf_token": csrf, "username": creds["username"], "password": creds["password"], "next": "/login"})
                r = c.get(a["appliance_url"])
                assert r.status_code == 200 and "<td><b>Alternative Name</b></td>" in r.text
