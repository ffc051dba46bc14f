"""Cloud and hosted sites, the two versions' labels and markup, failover pairs and drift, fleets, odd content."""
from __future__ import annotations

import socket
import ssl
from typing import Any, Iterator

import pytest

from fixtures import SimOptions, Simulator
from simhelpers import appliance_login, click_menu, label_value, login_login, visible_text

pytestmark = pytest.mark.xdist_group("sim_modes")


def _served_cert(info: dict[str, Any], appl: dict[str, Any]) -> bytes:
    ctx = ssl.create_default_context(cafile=info["ca_path"])
    with socket.create_connection((appl["address"], appl["port"])) as raw:
        with ctx.wrap_socket(raw, server_hostname=appl["appliance_hostname"]) as tls:
            return tls.getpeercert(binary_form=True)


def test_cloud_site(browsers: Any, sim_cloud: Simulator) -> None:
    info = sim_cloud.info()
    a = info["appliances"][0]
    assert a["credentials"]["appliance"] is None
    page = browsers.page(sim_cloud)
    resp = page.goto(a["appliance_url"])
    assert resp.status == 404 and "Appliance item" in visible_text(page)
    assert page.locator("input[name=password]").count() == 0
    login_login(page, a)
    click_menu(page, "Appliance")
    text = visible_text(page)
    assert "Security :: Other Certificates" in text and "*.beyondtrustcloud.com" in text
    assert "B Series Appliance Default Certificate" not in text
    for absent in ("Networking", "Status", "Storage", "Updates"):
        assert page.get_by_role("link", name=absent, exact=True).count() == 0
    click_menu(page, "TLS Configuration")
    assert label_value(page, "TLSv1.2") == "true"
    page.context.close()


def test_hosted_site(browsers: Any, sim_hosted: Simulator) -> None:
    a = sim_hosted.info()["appliances"][0]
    page = browsers.page(sim_hosted)
    assert page.goto(a["appliance_url"]).status == 404
    login_login(page, a)
    assert page.get_by_role("link", name="Appliance", exact=True).count() == 0
    assert page.goto(a["appliance_url"]).status == 404
    page.context.close()


@pytest.mark.parametrize("which,tls,software", [("sim_v23", "SSL/TLS Configuration", "Software Management"),
                                                 ("sim_onprem", "TLS Configuration", "Software")])
def test_version_labels_and_markup(request: pytest.FixtureRequest, browsers: Any, which: str, tls: str,
                                   software: str) -> None:
    sim: Simulator = request.getfixturevalue(which)
    a = sim.info()["appliances"][0]
    page = browsers.page(sim)
    appliance_login(page, a)
    click_menu(page, "Security", tls)
    assert f"Security :: {tls}" in visible_text(page)
    old = sim.options.version == "23.3"
    # 23.3: table forms with <th> labels and <input type=submit>; 25.1: <label for>, <dl>, <button>, <nav>.
    assert (page.locator("label[for]").count() == 0) is old
    assert (page.locator("input[type=submit]").count() > 0) is old
    assert (page.locator("nav ul").count() > 0) is not old
    click_menu(page, "Status")
    assert (page.locator("dl dt").count() > 0) is not old
    assert (page.locator("table.info th").count() > 0) is old
    login_login(page, a)
    click_menu(page, "Management", software)
    assert "Software :: Backup Settings" in visible_text(page)
    assert page.get_by_role("tab" if not old else "link", name=software, exact=True).count() == 1
    page.context.close()


def test_pair_peers(browsers: Any, sim_pair: Simulator) -> None:
    info = sim_pair.info()
    bt1, bt2 = info["appliances"]
    assert (bt1["role"], bt2["role"]) == ("primary", "backup")
    assert len(info["spki_pins"]) == 1 and _served_cert(info, bt1) == _served_cert(info, bt2)
    assert bt1["serial_number"] != bt2["serial_number"] and bt1["address"] != bt2["address"]
    assert bt1["credentials"]["login"] == bt2["credentials"]["login"]
    assert bt1["credentials"]["appliance"] != bt2["credentials"]["appliance"]
    assert f"MAP {bt1['site_hostname']} {bt1['address']}" in info["host_resolver_rules"]
    seen: dict[str, dict[str, str | None]] = {}
    page = browsers.page(sim_pair)
    for a in (bt1, bt2):
        login_login(page, a)
        values = {k: label_value(page, k) for k in ("Product Version", "Product Build", "Failover Role")}
        click_menu(page, "Management", "Security")
        values["psk"] = label_value(page, "Inter-appliance Communication Pre-shared Key")
        click_menu(page, "Failover")
        values["last_sync"] = label_value(page, "Last Data Sync Time")
        appliance_login(page, a)
        click_menu(page, "Networking")
        values["ip_page"] = visible_text(page)
        seen[a["name"]] = values
    assert seen["bt1"]["Product Build"] == seen["bt2"]["Product Build"] and seen["bt1"]["psk"] == seen["bt2"]["psk"]
    assert (seen["bt1"]["Failover Role"], seen["bt2"]["Failover Role"]) == ("Primary", "Backup")
    assert "10.20.30.41" in seen["bt1"]["ip_page"] and "10.20.30.42" in seen["bt2"]["ip_page"]
    assert "10.20.30.41" not in seen["bt2"]["ip_page"]
    page.context.close()


def test_pair_drift(browsers: Any, sim_drift: Simulator) -> None:
    info = sim_drift.info()
    bt1, bt2 = info["appliances"]
    assert len(info["spki_pins"]) == 2 and _served_cert(info, bt1) != _served_cert(info, bt2)
    page = browsers.page(sim_drift)
    tables = []
    for a in (bt1, bt2):
        appliance_login(page, a)
        click_menu(page, "Security", "SSL/TLS Configuration")
        tables.append(page.locator("table.grid").inner_text())
    assert tables[0] != tables[1]
    page.context.close()


def test_failover_actions_are_recorded(sim_pair: Simulator, clean: None) -> None:
    from simhelpers import form_post, http_client, http_login_login

    info = sim_pair.info()
    bt1, bt2 = info["appliances"]
    with http_client(info) as c:
        http_login_login(c, bt2)
        url = bt2["login_url"] + "/management/failover"
        form_post(c, url, "sync", {"sync_now": "1"})
        form_post(c, url, "role", {"become": "1"})
    assert [e["action"] for e in sim_pair.events()] == ["management.failover.sync_now",
                                                          "management.failover.become_primary"]
    roles = {a["name"]: a["role"] for a in sim_pair.info()["appliances"]}
    assert roles == {"bt1": "backup", "bt2": "primary"}


@pytest.fixture(scope="module")
def sim_odd() -> Iterator[Simulator]:
    sim = Simulator(SimOptions(inject_markup=True, drop_setting="syslog", agreement=True, totp=False)).start()
    yield sim
    sim.stop()


def test_injected_markup_is_shown_as_text(browsers: Any, sim_odd: Simulator) -> None:
    a = sim_odd.info()["appliances"][0]
    page = browsers.page(sim_odd)
    page.goto(a["appliance_url"])
    assert "</table><b>x</b>" in visible_text(page)  # the agreement title, escaped
    appliance_login(page, a)
    click_menu(page, "Networking", "SNMP")
    assert label_value(page, "System Location").startswith("<script>window.__pwned=1</script>")
    click_menu(page, "Security", "Appliance Administration")
    assert label_value(page, "Remote Syslog Server") == ""  # drop_setting=syslog
    assert page.evaluate("window.__pwned") is None
    page.context.close()


def test_fleet() -> None:
    with Simulator(SimOptions(count=5, agreement=False)) as sim:
        info = sim.info()
        names = [a["appliance_hostname"] for a in info["appliances"]]
        assert names == [f"bt0{i}.example.test" for i in range(1, 6)]
        assert len({a["address"] for a in info["appliances"]}) == 5 and len(info["spki_pins"]) == 5
        assert info["appliances"][4]["site_hostname"] == "site05.example.test"
        for a in info["appliances"]:
            assert len(_served_cert(info, a)) > 300
