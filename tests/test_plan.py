"""The step plan: pages in menu order, each browser action right after the page it starts on."""
from __future__ import annotations

from flows import appliance as appliance_pages, plan
from flows.base import Labels, Page
from capture.config import Take


def names(steps: list) -> list[str]:
    return [s.flow if isinstance(s, Page) else s.name for s in steps]


def test_actions_follow_the_page_they_start_on() -> None:
    steps = plan("onprem", Take(nsb="ui"), api_ready=False, labels=Labels.load())
    login = names(steps["login"])
    assert login[:4] == ["login.status.information", "login.management.software", "login.backup.ui",
                         "login.vault_key"], login
    assert login[-1] == "login.management.api_configuration"
    appliance = names(steps["appliance"])
    at = appliance.index("appliance.security.certificates")
    assert appliance[at + 1] == "appliance.certificate.p12", appliance
    assert appliance[-1] == "appliance.users"
    assert [p for p in appliance if p != "appliance.certificate.p12"] == [p.flow for p in appliance_pages.PAGES]


def test_steps_without_a_start_page_come_last_in_their_order() -> None:
    steps = plan("onprem", Take(nsb="auto", sync_now=True), api_ready=True, labels=Labels.load())
    login = names(steps["login"])
    assert login[-2:] == ["login.failover.sync_now", "login.backup"], login  # the API needs no page
    assert login.index("login.vault_key") == login.index("login.management.software") + 1


def test_nothing_is_lost_or_doubled() -> None:
    for deployment in ("onprem", "cloud", "hosted"):
        for take in (Take(), Take(nsb="both", sync_now=True), Take(certificate=False, vault_key=False, nsb="none")):
            steps = plan(deployment, take, api_ready=True, labels=Labels.load())
            for seq in steps.values():
                assert len(names(seq)) == len(set(names(seq)))
            if deployment == "hosted":
                assert steps["appliance"] == []
            if not take.certificate:
                assert "appliance.certificate.p12" not in names(steps["appliance"])
