"""Safety instrumentation: every destructive control works and is logged; reading never changes state."""
from __future__ import annotations

import contextlib
import copy
from typing import Any, Iterator

import httpx
import pytest

from fixtures import Simulator
from simhelpers import (appliance_login, click_menu, control, form_post, http_appliance_login, http_client,
                        http_login_login, label_value, visible_text)

pytestmark = pytest.mark.xdist_group("sim_events")

# (interface, page path, form id, fields) → expected destructive action
DESTRUCTIVE = [
    ("appliance", "/networking/ip", "save", {"net.hostname": "bt1.example.test"}, "networking.ip.save"),
    ("appliance", "/networking/routes", "routes", {"delete_0": "1"}, "networking.routes.delete"),
    ("appliance", "/networking/routes", "add", {"route_dest": "10.9.0.0", "route_gateway": "10.20.30.1"},
     "networking.routes.add"),
    ("appliance", "/networking/snmp", "save", {}, "networking.snmp.save"),
    ("appliance", "/security/tls", "save", {"tls.v12": "1"}, "security.tls.save"),
    ("appliance", "/security/admin", "save", {}, "security.admin.save"),
    ("appliance", "/security/admin", "reset", {"reset": "1"}, "security.admin.reset_admin_account"),
    ("appliance", "/security/email", "save", {}, "security.email.save"),
    ("appliance", "/security/certificates", "letsencrypt", {"le_hostname": "x.example.test"},
     "security.certificates.letsencrypt_request"),
    ("appliance", "/security/certificates", "certs", {"save_default": "1", "default_cert": "c2"},
     "security.certificates.set_default"),
    ("appliance", "/users/list", "add", {"new_username": "u", "new_password": "p", "new_confirm": "p"},
     "users.list.add_user"),
    ("appliance", "/updates/software", "install", {"install": "1"}, "updates.software.install"),
    ("appliance", "/support/advanced", "tunnel", {"connect": "1"}, "support.advanced.connect"),
    ("appliance", "/status/basics", "power", {"restart": "1"}, "status.basics.restart"),
    ("login", "/management/software", "restore", {"restore": "1"}, "management.software.restore"),
    ("login", "/management/software", "update", {"upload": "1"}, "management.software.update_upload"),
    ("login", "/management/security", "save", {}, "management.security.save"),
    ("login", "/management/api", "save", {}, "management.api.save"),
    ("login", "/management/email", "save", {}, "management.email.save"),
    ("login", "/management/failover", "establish", {"peer_host": "bt9"}, "management.failover.establish_relationship"),
    ("login", "/configuration/options", "save", {}, "configuration.options.save"),
    ("login", "/account/profile", "password", {"current": "x"}, "account.profile.change_password"),
]
READ_ONLY = [
    ("appliance", "/updates/software", "check", {"check": "1"}),
    ("appliance", "/support/utilities", "run", {"host": "example.test"}),
    ("appliance", "/security/certificates", "certs", {"cert_action": "Export", "cert": "c1"}),
    ("login", "/reports/sessions", "report", {}),
    ("login", "/management/software", "backup", {}),
    ("login", "/management/software", "vault", {"vault_password": "a", "vault_confirm": "a"}),
]


@contextlib.contextmanager
def _client(sim: Simulator) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """A client logged in to both interfaces (logins are not destructive, so the log starts empty)."""
    info = sim.info()
    a = info["appliances"][0]
    with http_client(info) as c:
        http_appliance_login(c, a)
        http_login_login(c, a)
        yield c, a


def _state(sim: Simulator) -> Any:
    appl = sim.rt.appliances[0]
    return copy.deepcopy((appl.a, appl.l, appl.fo, appl.creds, [c.id for c in appl.certs], appl.default_cert))


@pytest.mark.parametrize("iface,path,form,fields,action", DESTRUCTIVE, ids=[d[-1] for d in DESTRUCTIVE])
def test_destructive_controls_are_logged(sim_onprem: Simulator, iface: str, path: str, form: str,
                                         fields: dict[str, str], action: str, clean: None) -> None:
    with _client(sim_onprem) as (c, a):
        r = form_post(c, a[f"{iface}_url"] + path, form, fields)
    assert r.status_code in (200, 303)
    ev = sim_onprem.events()
    assert [e["action"] for e in ev] == [action]
    assert ev[0]["interface"] == iface and ev[0]["appliance"] == "bt1" and ev[0]["destructive"]


@pytest.mark.parametrize("iface,path,form,fields", READ_ONLY, ids=[f"{r[1]}:{r[2]}" for r in READ_ONLY])
def test_read_only_actions_are_not_destructive(sim_onprem: Simulator, iface: str, path: str, form: str,
                                               fields: dict[str, str], clean: None) -> None:
    with _client(sim_onprem) as (c, a):
        before = _state(sim_onprem)
        r = form_post(c, a[f"{iface}_url"] + path, form, fields)
    assert r.status_code in (200, 303)
    assert sim_onprem.events() == [] and _state(sim_onprem) == before


def test_browsing_changes_nothing(sim_onprem: Simulator, clean: None) -> None:
    with _client(sim_onprem) as (c, a):
        before, views = _state(sim_onprem), len(sim_onprem.events("view"))  # the logins' landing pages
        for appl_path in ("/status/basics", "/networking/ip", "/networking/routes", "/networking/snmp",
                          "/security/certificates", "/security/tls", "/security/admin", "/security/email",
                          "/security/certificates/export?cert=c1", "/updates/software", "/users/list"):
            assert c.get(a["appliance_url"] + appl_path).status_code == 200
        for login_path in ("/status/information", "/management/software", "/management/failover",
                           "/management/security", "/management/api", "/management/email"):
            assert c.get(a["login_url"] + login_path).status_code == 200
    assert sim_onprem.events() == [] and _state(sim_onprem) == before
    assert len(sim_onprem.events("view")) - views == 17


def test_save_really_changes_and_reset_restores(browsers: Any, sim_onprem: Simulator, clean: None) -> None:
    a = sim_onprem.info()["appliances"][0]
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    click_menu(page, "Networking", "SNMP")
    control(page, "System Location").fill("Moved to DC3")
    page.get_by_role("button", name="Save Changes").click()
    page.wait_for_load_state()
    assert "Changes saved successfully." in visible_text(page)
    assert label_value(page, "System Location") == "Moved to DC3"
    ev = sim_onprem.events()
    assert [e["action"] for e in ev] == ["networking.snmp.save"] and ev[0]["detail"]["changed"] == ["System Location"]
    sim_onprem.reset()
    appliance_login(page, a, a["appliance_url"] + "/networking/snmp")
    assert label_value(page, "System Location").startswith("DC1") and sim_onprem.events() == []
    page.context.close()


def test_restart_needs_confirmation_and_ends_sessions(browsers: Any, sim_onprem: Simulator, clean: None) -> None:
    a = sim_onprem.info()["appliances"][0]
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    page.once("dialog", lambda d: d.dismiss())
    page.get_by_role("button", name="Restart").click()
    assert sim_onprem.events() == []
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Restart").click()
    page.wait_for_load_state()
    assert "restarting" in visible_text(page)
    assert [e["action"] for e in sim_onprem.events()] == ["status.basics.restart"]
    page.goto(a["appliance_url"])
    assert page.locator("input[name=password]").count() == 1 or page.get_by_role("button", name="I Agree").count()
    page.context.close()


def test_shut_down_stops_answering_until_reset(sim_onprem: Simulator, clean: None) -> None:
    with _client(sim_onprem) as (c, a):
        form_post(c, a["appliance_url"] + "/status/basics", "power", {"shutdown": "1"})
        with pytest.raises(httpx.TransportError):
            c.get(a["base_url"] + "/check_health")
    assert [e["action"] for e in sim_onprem.events()] == ["status.basics.shutdown"]
    sim_onprem.reset()
    with http_client(sim_onprem.info()) as c2:
        assert c2.get(a["base_url"] + "/check_health").status_code == 200


def test_reset_admin_account_really_resets_login(sim_onprem: Simulator, clean: None) -> None:
    with _client(sim_onprem) as (c, a):
        form_post(c, a["appliance_url"] + "/security/admin", "reset", {"reset": "1"})
    assert sim_onprem.info()["appliances"][0]["credentials"]["login"]["password"] == "password"


def test_forms_need_the_csrf_token(sim_onprem: Simulator, clean: None) -> None:
    with _client(sim_onprem) as (c, a):
        r = c.post(a["appliance_url"] + "/networking/snmp", data={"form_id": "save", "csrf_token": "forged"})
    assert r.status_code == 403 and sim_onprem.events() == []
