"""The /login backup artifacts: NSB by the Download Backup button and by the Backup API, and the Vault key."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fixtures import Faults, Simulator
from fixtures.nsb import open_vault_key, password_matches, read_header
from simhelpers import api_token, click_menu, control, http_client, login_login, visible_text

pytestmark = pytest.mark.xdist_group("sim_backup")


def _a(sim: Simulator) -> dict[str, Any]:
    return sim.info()["appliances"][0]


def _download(page: Any, button: str, tmp: Path) -> Path:
    with page.expect_download() as dl:
        page.get_by_role("button", name=button, exact=True).click()
    target = tmp / dl.value.suggested_filename
    dl.value.save_as(target)
    return target


@pytest.mark.parametrize("password,history", [("", False), ("Backup-Pass-1", True)])
def test_download_backup_button(browsers: Any, sim_onprem: Simulator, tmp_path: Path, password: str,
                                history: bool) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    login_login(page, a)
    click_menu(page, "Management", "Software")
    if password:
        control(page, "Backup Password").fill(password)
        control(page, "Confirm Password").fill(password)
    if history:
        control(page, "Include logged history").check()
    path = _download(page, "Download Backup", tmp_path)
    data = path.read_bytes()
    assert path.name.startswith(a["site_hostname"]) and path.suffix == ".nsb"
    assert len(data) == sim_onprem.options.nsb_size
    assert not data.startswith(b"PK")  # opaque, not a ZIP
    meta = read_header(data)
    assert meta["history"] is history and meta["password_protected"] is bool(password)
    assert password_matches(meta, password) and (not password or not password_matches(meta, "other"))
    ev = [e for e in sim_onprem.events("download") if e["action"] == "nsb.download"][-1]
    assert ev["detail"]["sha256"] == hashlib.sha256(data).hexdigest() and ev["detail"]["complete"]
    assert ev["interface"] == "login" and sim_onprem.events() == []
    page.context.close()


def test_vault_key_needs_a_password(browsers: Any, sim_onprem: Simulator, tmp_path: Path) -> None:
    a = _a(sim_onprem)
    info = sim_onprem.info()
    page = browsers.page(sim_onprem)
    login_login(page, a)
    click_menu(page, "Management", "Software")
    page.get_by_role("button", name="Download Vault Encryption Key").click()
    page.wait_for_load_state()
    assert "must be password protected" in visible_text(page)
    click_menu(page, "Software")
    page.locator("input[name=vault_password]").fill("Vault-Pass-9")
    page.locator("input[name=vault_confirm]").fill("Vault-Pass-9")
    path = _download(page, "Download Vault Encryption Key", tmp_path)
    blob = path.read_bytes()
    material = open_vault_key(blob, "Vault-Pass-9").decode()
    assert material.startswith("CANARYVaultKey") and any(material.startswith(c) for c in info["canaries"])
    assert material.encode() not in blob
    with pytest.raises(Exception):
        open_vault_key(blob, "wrong")
    page.context.close()


def test_backup_api(sim_onprem: Simulator) -> None:
    info = sim_onprem.info()
    a = info["appliances"][0]
    base = a["base_url"]
    with http_client(info) as c:
        bad = c.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials"},
                     auth=(a["credentials"]["api"]["client_id"], "wrong"))
        assert bad.status_code == 401 and bad.json() == {"error": "invalid_client"}
        tok = c.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials"},
                     auth=(a["credentials"]["api"]["client_id"], a["credentials"]["api"]["client_secret"])).json()
        assert tok["token_type"] == "Bearer" and tok["expires_in"] == 3600
        assert c.get(f"{base}/api/backup").status_code == 401
        assert c.get(f"{base}/api/backup", headers={"Authorization": "Bearer nope"}).status_code == 401
        r = c.get(f"{base}/api/backup", headers={"Authorization": f"Bearer {tok['access_token']}"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
        assert re.fullmatch(rf'attachment; filename="{re.escape(a["site_hostname"])}-\d{{4}}-\d\d-\d\d\.nsb"',
                            r.headers["content-disposition"])
        assert len(r.content) == sim_onprem.options.nsb_size and read_header(r.content)["history"] is True
        r = c.post(f"{base}/api/backup", headers={"Authorization": f"Bearer {tok['access_token']}"},
                   content=json.dumps({"password": "Api-Backup-Pass"}))
        meta = read_header(r.content)
        assert meta["password_protected"] and password_matches(meta, "Api-Backup-Pass")
        nob = api_token(c, base, a["credentials"]["api_nobackup"])
        r = c.get(f"{base}/api/backup", headers={"Authorization": f"Bearer {nob}"})
        assert r.status_code == 403 and b"<error>" in r.content
    sent = [e for e in sim_onprem.events("download") if e["action"] == "nsb.download" and e["interface"] == "api"]
    assert len(sent) == 2 and all(e["detail"]["complete"] for e in sent)


def test_api_error_inside_200(sim_onprem: Simulator, clean: None) -> None:
    info = sim_onprem.info()
    a = info["appliances"][0]
    sim_onprem.set_faults(Faults(api_error_200=True))
    with http_client(info) as c:
        tok = api_token(c, a["base_url"], a["credentials"]["api"])
        r = c.get(f"{a['base_url']}/api/backup", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and r.text == '<?xml version="1.0"?><error>Invalid credentials</error>'


def test_token_is_a_canary_and_check_health(sim_onprem: Simulator) -> None:
    info = sim_onprem.info()
    a = info["appliances"][0]
    with http_client(info) as c:
        tok = api_token(c, a["base_url"], a["credentials"]["api"])
        assert tok.startswith("CANARY")
        r = c.get(f"{a['base_url']}/check_health")
    assert r.status_code == 200 and "<success>1</success>" in r.text
    assert f"<version>{a['product_version']}</version>" in r.text and "<failover_role>none</failover_role>" in r.text


def test_expired_token_is_refused(sim_onprem: Simulator) -> None:
    info = sim_onprem.info()
    a = info["appliances"][0]
    with http_client(info) as c:
        tok = api_token(c, a["base_url"], a["credentials"]["api"])
        appl = sim_onprem.rt.appliances[0]
        appl.tokens[tok] = (appl.tokens[tok][0], 0.0)  # an hour later
        r = c.get(a["base_url"] + "/api/backup", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]
