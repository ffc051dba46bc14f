"""Logins of both interfaces: agreement, credentials, TOTP, wrong input, idle expiry (HTTP 200 + login page), logout."""
from __future__ import annotations

import time
from typing import Any, Iterator

import pyotp
import pytest

from fixtures import SimOptions, Simulator
from simhelpers import (accept_agreement, appliance_login, click_menu, fill_login, label_value, login_login,
                        visible_text)

pytestmark = pytest.mark.xdist_group("sim_auth")


@pytest.fixture(scope="module")
def sim_idle() -> Iterator[Simulator]:
    """Short idle timeout, no agreement, no TOTP."""
    sim = Simulator(SimOptions(idle_timeout=1.0, agreement=False, totp=False)).start()
    yield sim
    sim.stop()


def _a(sim: Simulator) -> dict[str, Any]:
    return sim.info()["appliances"][0]


def test_agreement_comes_first_then_login(browsers: Any, sim_onprem: Simulator) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    resp = page.goto(a["appliance_url"] + "/networking/snmp")
    assert resp.status == 200
    text = visible_text(page)
    assert "Authorized Use Only" in text and "Example Corp Acceptable Use Policy" in text
    assert page.locator("input[name=password]").count() == 0
    assert accept_agreement(page)
    assert page.locator("input[name=password]").count() == 1
    creds = a["credentials"]["appliance"]
    fill_login(page, creds["username"], creds["password"])
    # Back on the page that was asked for.
    assert label_value(page, "System Location").startswith("DC1")
    kinds = [(e["action"], e["kind"]) for e in sim_onprem.events("auth")]
    assert ("agreement.accept", "auth") in kinds and ("login", "auth") in kinds
    page.context.close()


def test_wrong_appliance_password_is_200_with_error(browsers: Any, sim_onprem: Simulator) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    page.goto(a["appliance_url"])
    accept_agreement(page)
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        fill_login(page, "admin", "not-the-password")
    assert info.value.status == 200
    assert "Invalid username or password." in visible_text(page)
    assert page.locator("input[name=password]").count() == 1
    assert any(e["action"] == "login.failed" for e in sim_onprem.events("auth"))
    page.context.close()


def test_login_with_totp(browsers: Any, sim_onprem: Simulator) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    page.goto(a["login_url"])
    creds = a["credentials"]["login"]
    fill_login(page, creds["username"], creds["password"])
    assert "Two-Factor Authentication" in visible_text(page)
    page.locator("input[name=code]").fill("000000" if pyotp.TOTP(creds["totp_secret"]).now() != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    assert "The code is not valid" in visible_text(page)
    page.locator("input[name=code]").fill(pyotp.TOTP(creds["totp_secret"]).now())
    page.get_by_role("button", name="Verify").click()
    assert "Log Out" in visible_text(page)
    assert label_value(page, "Product Version") == a["product_version"]
    page.context.close()


def test_totp_accepts_one_step_of_skew(browsers: Any, sim_onprem: Simulator) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    page.goto(a["login_url"])
    creds = a["credentials"]["login"]
    fill_login(page, creds["username"], creds["password"])
    page.locator("input[name=code]").fill(pyotp.TOTP(creds["totp_secret"]).at(time.time() - 30))
    page.get_by_role("button", name="Verify").click()
    assert "Log Out" in visible_text(page)
    page.context.close()


def test_wrong_login_password_is_200_with_error(browsers: Any, sim_onprem: Simulator) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    page.goto(a["login_url"])
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        fill_login(page, "admin", "wrong")
    assert info.value.status == 200
    assert "Invalid username or password." in visible_text(page)
    page.context.close()


def test_logout_returns_to_login(browsers: Any, sim_onprem: Simulator) -> None:
    a = _a(sim_onprem)
    page = browsers.page(sim_onprem)
    appliance_login(page, a)
    page.get_by_role("link", name="Log Out").click()
    page.goto(a["appliance_url"])
    assert page.locator("input[name=password]").count() == 1
    login_login(page, a)
    page.get_by_role("link", name="Log Out").click()
    page.goto(a["login_url"] + "/management/software")
    assert page.locator("input[name=password]").count() == 1
    page.context.close()


@pytest.mark.parametrize("iface", ["appliance", "login"])
def test_idle_expiry_answers_200_with_login_page_at_same_url(browsers: Any, sim_idle: Simulator, iface: str) -> None:
    a = _a(sim_idle)
    page = browsers.page(sim_idle)
    (appliance_login if iface == "appliance" else login_login)(page, a)
    click_menu(page, "Status")
    url = page.url
    assert "Log Out" in visible_text(page)
    time.sleep(1.3)
    resp = page.reload()
    assert resp.status == 200 and page.url == url
    assert page.locator("input[name=password]").count() == 1
    assert "Log Out" not in visible_text(page)
    page.context.close()


def test_no_agreement_no_totp(browsers: Any, sim_idle: Simulator) -> None:
    a = _a(sim_idle)
    page = browsers.page(sim_idle)
    page.goto(a["appliance_url"])
    assert page.get_by_role("button", name="I Agree").count() == 0
    page.goto(a["login_url"])
    creds = a["credentials"]["login"]
    assert creds["totp_secret"] is None
    fill_login(page, creds["username"], creds["password"])
    assert "Log Out" in visible_text(page)
    page.context.close()
