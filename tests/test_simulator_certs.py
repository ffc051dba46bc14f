"""Security > Certificates: the seed's 11 export steps through the UI give a real PKCS#12; Delete is destructive."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, pkcs12

from fixtures import Simulator
from simhelpers import appliance_login, click_menu, control, require_tool, visible_text

pytestmark = pytest.mark.xdist_group("sim_certs")
PASSPHRASE = "Export-Passphrase-42"


def _row(page: Any, issued_to: str) -> Any:
    # innermost rows only: 23.3 lays the whole page out in tables
    return page.locator("tr:not(:has(tr))").filter(has=page.get_by_role("cell", name=issued_to, exact=True))


def _export(page: Any, issued_to: str, ticks: tuple[str, ...], passphrase: str, tmp: Path) -> bytes:
    """Steps 2–10 of the vendor procedure, by visible text only."""
    click_menu(page, "Security")  # lands on Certificates
    row = _row(page, issued_to)
    assert row.count() == 1
    assert row.get_by_role("cell", name="Yes", exact=True).count() == 1  # Private Key? = Yes
    row.locator("input[type=checkbox]").check()
    page.locator("select:has(option:text-is('Export'))").select_option("Export")
    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_load_state()
    assert "Security :: Certificates :: Export" in visible_text(page)
    for label in ("Include Certificate", "Include Private Key", "Include Certificate Chain"):
        box = control(page, label)
        (box.check if label in ticks else box.uncheck)()
    control(page, "Passphrase").fill(passphrase)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export", exact=True).click()
    target = tmp / dl.value.suggested_filename
    dl.value.save_as(target)
    assert target.suffix == ".p12"
    return target.read_bytes()


def _spki(obj: Any) -> bytes:
    return obj.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("which", ["sim_onprem", "sim_v23"])
def test_full_export_is_a_real_p12(request: pytest.FixtureRequest, browsers: Any, tmp_path: Path, which: str) -> None:
    sim: Simulator = request.getfixturevalue(which)
    info = sim.info()
    a = info["appliances"][0]
    page = browsers.page(sim)
    appliance_login(page, a)
    data = _export(page, a["site_hostname"], ("Include Certificate", "Include Private Key",
                                              "Include Certificate Chain"), PASSPHRASE, tmp_path)
    p12 = pkcs12.load_pkcs12(data, PASSPHRASE.encode())
    leaf = p12.cert.certificate
    assert _spki(p12.key.public_key()) == _spki(leaf.public_key())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {a["site_hostname"], a["appliance_hostname"]}
    assert a["address"] in [str(i) for i in sans.get_values_for_type(x509.IPAddress)]
    # The key is the one the appliance serves (its pin is in info).
    import base64
    import hashlib
    assert base64.b64encode(hashlib.sha256(_spki(leaf.public_key())).digest()).decode() in info["spki_pins"]
    chain = [c.certificate for c in p12.additional_certs]
    names = [c.subject.rfc4514_string() for c in chain]
    assert any("Issuing CA" in n for n in names) and any("Root CA" in n for n in names)
    root = Path(info["ca_path"]).read_bytes()
    assert x509.load_pem_x509_certificate(root) in chain
    with pytest.raises(ValueError):
        pkcs12.load_pkcs12(data, b"wrong passphrase")
    # Encryption differs by version: 23.3 legacy 3DES, 25.1 AES.
    require_tool("openssl")
    out = subprocess.run(["openssl", "pkcs12", "-info", "-noout", "-passin", "env:P12PASS"], input=data,
                         capture_output=True, env={**os.environ, "P12PASS": PASSPHRASE}).stderr.decode()
    if info["version"] == "23.3":
        assert "pbeWithSHA1And3-KeyTripleDES-CBC" in out
    else:
        assert "AES-256-CBC" in out
    ev = [e for e in sim.events("all") if e["action"] == "certificates.export"]
    assert ev and ev[-1]["detail"]["include_private_key"] and ev[-1]["detail"]["passphrase_set"]
    assert sim.events("destructive") == []
    page.context.close()


def test_export_holds_exactly_what_was_ticked(browsers: Any, sim_onprem: Simulator, tmp_path: Path) -> None:
    a = sim_onprem.info()["appliances"][0]
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    data = _export(page, a["site_hostname"], ("Include Certificate",), PASSPHRASE, tmp_path)
    p12 = pkcs12.load_pkcs12(data, PASSPHRASE.encode())
    # Without a key PKCS#12 has no "key's own certificate", so loaders list the leaf among the others.
    certs = ([p12.cert] if p12.cert else []) + list(p12.additional_certs)
    assert p12.key is None and len(certs) == 1
    assert f"CN={a['site_hostname']}" in certs[0].certificate.subject.rfc4514_string()
    page.context.close()


def test_decoy_row_is_a_different_certificate(browsers: Any, sim_onprem: Simulator, tmp_path: Path) -> None:
    a = sim_onprem.info()["appliances"][0]
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    data = _export(page, "legacy.example.test", ("Include Certificate", "Include Private Key"), PASSPHRASE, tmp_path)
    leaf = pkcs12.load_pkcs12(data, PASSPHRASE.encode()).cert.certificate
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert a["site_hostname"] not in sans
    page.context.close()


def test_key_cannot_be_exported_from_a_cert_without_one(browsers: Any, sim_onprem: Simulator) -> None:
    a = sim_onprem.info()["appliances"][0]
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    click_menu(page, "Security")
    row = _row(page, "partner-portal.example.test")
    assert row.get_by_role("cell", name="No", exact=True).count() == 1
    assert "chain is incomplete" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.locator("select:has(option:text-is('Export'))").select_option("Export")
    page.get_by_role("button", name="Apply").click()
    control(page, "Include Private Key").check()
    page.get_by_role("button", name="Export", exact=True).click()
    page.wait_for_load_state()
    assert "has no private key" in visible_text(page)
    page.context.close()


def test_apply_without_selection_and_delete_is_destructive(browsers: Any, sim_onprem: Simulator, clean: None) -> None:
    a = sim_onprem.info()["appliances"][0]
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    click_menu(page, "Security")
    page.locator("select:has(option:text-is('Export'))").select_option("Export")
    page.get_by_role("button", name="Apply").click()
    assert "Select exactly one certificate" in visible_text(page)
    assert sim_onprem.events() == []
    _row(page, "legacy.example.test").locator("input[type=checkbox]").check()
    page.locator("select:has(option:text-is('Delete'))").select_option("Delete")
    page.get_by_role("button", name="Apply").click()
    assert _row(page, "legacy.example.test").count() == 0
    ev = sim_onprem.events()
    assert [e["action"] for e in ev] == ["security.certificates.delete"]
    assert ev[0]["detail"]["certs"] == ["legacy.example.test"] and ev[0]["interface"] == "appliance"
    page.context.close()
