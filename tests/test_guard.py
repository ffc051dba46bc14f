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
    await guard.attach(context)
    page = await context.new_page()
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


def test_assets_are_cached_while_routing(pair: Simulator, tmp_path: Path) -> None:
    """Routing turns Chromium's cache off; the guard's asset cache answers repeat stylesheet/script GETs."""
    async def go() -> tuple[int, list[str], int]:
        browser, sess, guard = await _session(pair, tmp_path)
        try:
            seen: list[str] = []
            for flow in ("appliance.networking.snmp", "appliance.networking.static_routes",
                         "appliance.security.email_configuration"):
                await sess.goto(next(p for p in appliance.PAGES if p.flow == flow))
            sess.page.on("request", lambda r: seen.append(r.url) if r.resource_type == "stylesheet" else None)
            await sess.page.reload()
            rules = await sess.page.evaluate("() => [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)")
            return guard.assets.hits, seen, rules
        finally:
            await browser.close()

    hits, seen, rules = run_async(go())
    assert seen and hits >= 2 * len(seen), (hits, seen)  # every page after the first came from memory
    assert rules > 10  # and the cached stylesheets were applied


@pytest.mark.parametrize("header,age", [("max-age=3600", 3600), ("public, max-age=60", 60), ("no-store", 0),
                                        ("max-age=600, no-cache", 0), ("", 0), ("s-maxage=60", 0)])
def test_asset_cache_obeys_cache_control(header: str, age: float) -> None:
    from capture.guard import AssetCache

    assert AssetCache.max_age({"cache-control": header}) == age
