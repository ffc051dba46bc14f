"""Read-only by default: destructive controls are refused, their requests blocked; Sync Now only when asked."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Iterator

import pytest

from captools import capture, run_async
from capture import config, tls
from capture.browser import Browser
from capture.errors import UnsafeClick
from capture.guard import Guard
from capture.redact import Redactor
from capture.session import Session
from capture.store import Store
from fixtures import SimOptions, Simulator
from fixtures.inventory import write_inventory
from flows import appliance
from flows.auth import Credentials, login_with
from flows.base import Labels

pytestmark = pytest.mark.xdist_group("guard")


@pytest.fixture(scope="module")
def pair() -> Iterator[Simulator]:
    s = Simulator(SimOptions(pair=True, nsb_size=128 * 1024)).start()
    yield s
    s.stop()


def test_sync_now_only_when_asked(pair: Simulator, tmp_path: Path) -> None:
    outcome, _ = capture(pair, tmp_path / "no", names=["bt2"], nsb="ui", certificate=False)
    assert outcome.exit_code == 0 and pair.events(kind="destructive") == []
    outcome, _ = capture(pair, tmp_path / "yes", names=["bt2"], nsb="ui", certificate=False, sync_now=True)
    snap = outcome.results[0].snapshot
    assert outcome.exit_code == 0, snap.failures
    events = pair.events(kind="destructive")
    assert [e["action"] for e in events] == ["management.failover.sync_now"], events
    assert next(s for s in snap.procedure if s.id == "sync_now").status == "done"
    pair.reset()


async def _session(sim: Simulator, tmp: Path) -> tuple[Browser, Session, Guard]:
    inv_path, env = write_inventory(sim.info(), tmp, names=["bt1"])
    app = config.load(inv_path).appliance[0]
    probe = await tls.probe(app)
    browser = await Browser(Path("/usr/bin/chromium"), spki_pins=[probe.spki_sha256],
                            resolver_rules=[f"MAP {app.host} {app.resolve}"]).start()
    context = await browser.context()
    labels, redactor = Labels.load(), Redactor()
    guard = Guard(labels.destructive_url, redactor)
    page = await context.new_page()
    await guard.attach(await browser.interceptor(), page, hosts=[app.host])
    creds = Credentials(env["BTC_BT1_APPLIANCE_PASSWORD"] and app.accounts.appliance_user,
                        env["BTC_BT1_APPLIANCE_PASSWORD"])
    sess = Session(name="bt1", interface="appliance", home=app.interface_url("appliance"), entry=(), context=context,
                   page=page, labels=labels, redactor=redactor, store=Store(tmp / "out", "bt1", redactor),
                   guard=guard, login=login_with(creds), timeout_s=15)
    await sess.login(sess)
    return browser, sess, guard


def test_destructive_controls_are_refused_and_blocked(pair: Simulator, tmp_path: Path) -> None:
    async def go() -> tuple[list[str], Any]:
        browser, sess, guard = await _session(pair, tmp_path)
        try:
            snmp = next(p for p in appliance.PAGES if p.flow == "appliance.networking.snmp")
            await sess.goto(snmp)
            with pytest.raises(UnsafeClick):
                await sess.nav.find(["Save Changes"])
            # Even a script's POST or a direct click on the button (bypassing the navigator) is stopped.
            await sess.page.evaluate("() => fetch(location.href, {method: 'POST', body: 'x=1'}).catch(() => 0)")
            sess.page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
            await sess.page.get_by_role("button", name="Save Changes").first.click()
            await sess.page.wait_for_timeout(500)
            return guard.blocked, None
        finally:
            await browser.close()

    blocked, _ = run_async(go())
    assert len(blocked) >= 2 and all(b.startswith("POST ") for b in blocked), blocked
    assert pair.events(kind="destructive") == []


def test_assets_come_from_the_browser_cache(pair: Simulator, tmp_path: Path) -> None:
    """The guard pauses only what can change something; stylesheets and scripts stay in Chromium's cache."""
    async def go() -> tuple[list[dict[str, Any]], int, list[str]]:
        browser, sess, guard = await _session(pair, tmp_path)
        try:
            for flow in ("appliance.networking.snmp", "appliance.networking.static_routes",
                         "appliance.security.email_configuration"):
                await sess.goto(next(p for p in appliance.PAGES if p.flow == flow))
            entries = await sess.page.evaluate("""() => performance.getEntriesByType('resource')
                .filter((e) => ['link', 'script', 'css'].includes(e.initiatorType))
                .map((e) => ({ url: e.name, transferSize: e.transferSize }))""")
            rules = await sess.page.evaluate("() => [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)")
            return entries, rules, guard.blocked
        finally:
            await browser.close()

    entries, rules, blocked = run_async(go())
    assert entries and all(e["transferSize"] == 0 for e in entries), entries  # none went over the network
    assert rules > 10 and blocked == []  # the cached stylesheets were applied; nothing was blocked


def test_a_popup_cannot_use_the_pages_allowance(pair: Simulator, tmp_path: Path) -> None:
    """An allowance is for the session's own page: a form posted from a popup (a frame the guard does not
    own) is judged by the appliance it goes to, and blocked, even while a login post is allowed."""
    async def go() -> tuple[list[str], list[str]]:
        browser, sess, guard = await _session(pair, tmp_path)
        try:
            with guard.allow("test", count=5):
                async with sess.page.expect_popup() as info:
                    await sess.page.evaluate("""() => { const w = window.open('about:blank');
                        w.document.write('<form method=post action="' + location.origin + '/appliance/networking/snmp">' +
                                         '<input name=x value=1></form>');
                        w.document.forms[0].submit(); }""")
                popup = await info.value
                await popup.wait_for_load_state()
                await sess.page.wait_for_timeout(300)
            return guard.blocked, guard.allowed
        finally:
            await browser.close()

    blocked, allowed = run_async(go())
    assert any(b.startswith("POST /appliance/networking/snmp") for b in blocked), blocked
    assert not any("snmp" in a for a in allowed), allowed
    assert pair.events(kind="destructive") == []


def test_a_request_the_guard_cannot_judge_is_failed_closed() -> None:
    """If judging a paused request raises, the request is failed, never left to go out (or hang)."""
    from capture.guard import Interceptor

    sent: list[tuple[str, dict[str, Any]]] = []

    class FakeCdp:
        async def send(self, method: str, params: dict[str, Any]) -> None:
            sent.append((method, params))

    class Broken(Guard):
        async def handle(self, request: Any, *, own_page: bool = True) -> None:
            raise RuntimeError("boom")

    async def go() -> None:
        icpt = Interceptor()
        icpt.cdp = FakeCdp()
        guard = Broken([], Redactor())
        guard.hosts.add("bt1.example.test")
        icpt.add(guard)
        icpt._on_paused({"requestId": "r1", "resourceType": "Document", "frameId": "f",
                         "request": {"url": "https://bt1.example.test/appliance", "method": "POST", "headers": {}}})
        await asyncio.gather(*icpt._tasks)

    run_async(go())
    assert sent == [("Fetch.failRequest", {"requestId": "r1", "errorReason": "BlockedByClient"})], sent
