"""Skins: every named skin, and a sample of random ones, draws the same appliance state. A real Chromium signs in
through the skin's agreement and 2FA, reaches every page by clicking visible text, and finds every value of the
block model on its page; the forms still post (certificate export, backup, vault key, Save without changes).

One Chromium serves every simulator here: it reaches them by loopback address and accepts their certificates
(TLS trust and pinning are tested elsewhere; these tests are about markup). `BT_SKIN_EXAMPLES=N` draws N random
skins instead of 2 (for a longer run outside CI).
"""
from __future__ import annotations

import os
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import Phase, given, settings, strategies as st

import simhelpers
import skinhelpers as kh
from fixtures import SimOptions, Simulator, nsb, panels
from fixtures.skins import NAMED, catalog
from fixtures.skins.urls import Urls
from fixtures.skins.wording import Wording
from fixtures.versions import PROFILES

pytestmark = pytest.mark.xdist_group("sim_skins")
PASSPHRASE, BACKUP_PW, VAULT_PW = "Skin-Export-1", "Skin-Backup-1", "Skin-Vault-1"
EXAMPLES = int(os.environ.get("BT_SKIN_EXAMPLES", "2"))


@pytest.fixture(scope="module")
def chromium(playwright: Any) -> Any:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    browser = playwright.chromium.launch(executable_path=simhelpers.CHROMIUM,
                                         args=simhelpers.CHROMIUM_ARGS + ["--ignore-certificate-errors"])
    yield browser
    browser.close()


def _page(browser: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True, ignore_https_errors=True)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())  # the window.confirm some skins ask before an export
    return page


class Walk:
    """One skinned simulator, signed in on both interfaces."""

    def __init__(self, browser: Any, sim: Simulator) -> None:
        self.sim, self.info = sim, sim.info()
        self.a = self.info["appliances"][0]
        self.base = f"https://{self.a['address']}:{self.a['port']}"
        self.skin = sim.rt.skin.skin
        self.w = Wording(self.skin, dict(PROFILES[self.info["version"]].relabel))
        self.pages = catalog.page_blocks(sim)
        self.tabs = {}
        for iface in ("appliance", "login"):
            page = _page(browser)
            creds = self.a["credentials"][iface]
            kh.sign_in(page, self.w, f"{self.base}/{iface}", creds["username"], creds["password"],
                       creds.get("totp_secret"))
            self.tabs[iface] = page

    def words(self, iface: str, page: Any, text: str) -> str:
        return self.w.words(text, f"{iface}.{page.slug}")

    def goto(self, iface: str, pd: Any) -> str | None:
        """Reach a page by its menu; None when it worked, or what went wrong."""
        tab = self.tabs[iface]
        area = [p for i, p, _ in self.pages if i == iface and p.menu == pd.menu]
        top = self.words(iface, pd, pd.menu)
        if not kh.click_text(tab, top):
            return f"no menu item {top!r}"
        if len(area) > 1 and not kh.click_text(tab, self.words(iface, pd, pd.label), after=top):
            return f"no sub-item {self.words(iface, pd, pd.label)!r} after {top!r}"
        heading = kh.norm(tab.locator("h1").first.inner_text())
        if heading != kh.norm(self.words(iface, pd, pd.label)):
            return f"landed on {heading!r}"
        return None

    def visit_all(self) -> tuple[list[str], set[str]]:
        """Every page by clicking; what any of them failed to show; the URLs they had."""
        problems, urls = [], set()
        for iface, pd, blocks in self.pages:
            where = f"{iface} {pd.menu} > {pd.label}"
            why = self.goto(iface, pd)
            if why:
                problems.append(f"{where}: {why}")
                continue
            urls.add(self.tabs[iface].url[len(self.base):])
            problems += [f"{where}: missing {g}" for g in kh.wait_shown(self.tabs[iface], catalog.expect(blocks))]
        return problems, urls

    def page(self, iface: str, menu: str, label: str) -> Any:
        return next(p for i, p, _ in self.pages if i == iface and p.menu == menu and p.label == label)

    def press(self, iface: str, text: str, *, download: bool = False) -> Any:
        """Click a button (and OK in an in-page confirmation); the download it started, when asked."""
        tab, shown = self.tabs[iface], self.w.words(text)

        def click() -> None:
            assert kh.click_text(tab, shown, nav=not download), f"no {shown!r} button"
            if self.skin.confirm == "modal" and tab.locator("[role=dialog]").count() + sum(
                    f.locator("[role=dialog]").count() for f in tab.frames[1:]):
                assert kh.click_text(tab, "OK", nav=not download), "no OK in the confirmation"

        if not download:
            click()
            return None
        with tab.expect_download() as dl:
            click()
        return dl.value

    def export_certificate(self, tmp: Any) -> None:
        tab = self.tabs["appliance"]
        assert self.goto("appliance", self.page("appliance", "Security", "Certificates")) is None
        kh.find(tab, "input[name=cert][value=c1]").check()
        kh.find(tab, "select[name=cert_action]").select_option("Export")
        self.press("appliance", "Apply")
        for name in ("include_private_key", "include_chain"):
            kh.tick(tab, name)
        kh.find(tab, "input[name=passphrase]").fill(PASSPHRASE)
        path = tmp / "site.p12"
        self.press("appliance", "Export", download=True).save_as(path)
        key, cert, chain = pkcs12.load_key_and_certificates(path.read_bytes(), PASSPHRASE.encode())
        assert key is not None and cert is not None and chain, "the export lacks the key or the chain"

    def backups(self, tmp: Any) -> None:
        tab = self.tabs["login"]
        assert self.goto("login", self.page("login", "Management", PROFILES[self.info["version"]].software_tab)) is None
        for name, value in (("backup_password", BACKUP_PW), ("backup_confirm", BACKUP_PW)):
            kh.find(tab, f"input[name={name}]").fill(value)
        self.press("login", "Download Backup", download=True).save_as(tmp / "site.nsb")
        meta = nsb.read_header((tmp / "site.nsb").read_bytes()[:65536])
        assert nsb.password_matches(meta, BACKUP_PW)
        for name in ("vault_password", "vault_confirm"):
            kh.find(tab, f"input[name={name}]").fill(VAULT_PW)
        key = self.press("login", "Download Vault Encryption Key", download=True)
        assert key.suggested_filename.startswith("vault-key-")

    def save_unchanged(self) -> list[str]:
        """Save Changes on every settings page without editing: each is logged, and nothing changed."""
        saved = []
        for iface, pd, blocks in self.pages:
            if not any(b.get("type") == "form" and b["id"] == "save" for b in blocks):
                continue
            if any(w.startswith(("frame", "shadow")) for w in panels.wanted(self.sim.options, iface, pd.slug)):
                continue  # a secret panel in a frame or shadow root takes its inputs out of the form (any skin)
            assert self.goto(iface, pd) is None
            kh.wait_shown(self.tabs[iface], catalog.expect(blocks))  # a person waits for the page to fill in
            if self.skin.view == "readonly":
                assert kh.click_text(self.tabs[iface], "Edit", nav=False), "no Edit button"
            self.press(iface, "Save Changes")
            saved.append(f"{iface}.{pd.slug}.save")
        events = {f'{e["interface"]}.{e["action"]}': e for e in self.sim.events("destructive")}
        out = [f"{s}: not logged" for s in saved if s not in events]
        out += [f"{s}: changed {events[s]['detail'].get('changed')}" for s in saved
                if s in events and events[s]["detail"].get("changed")]
        return out

    def close(self) -> None:
        for tab in self.tabs.values():
            tab.context.close()


def _run(browser: Any, options: SimOptions, tmp: Any) -> tuple[list[str], set[str], Walk]:
    sim = Simulator(options).start()
    walk = None
    try:
        walk = Walk(browser, sim)
        problems, urls = walk.visit_all()
        walk.export_certificate(tmp)
        walk.backups(tmp)
        problems += walk.save_unchanged()
        return problems, urls, walk
    finally:
        if walk is not None:
            walk.close()
        sim.stop()


def _other_urls(skin: str, version: str) -> list[str]:
    """Page URLs of the classic templates and of the other named skins with stable URLs."""
    from fixtures import appliance_ui, login_ui

    profile = PROFILES[version]
    plist = {"appliance": appliance_ui.pages(profile, "onprem"), "login": login_ui.pages(profile)}
    out = [profile.url(i, *p.parts) for i, ps in plist.items() for p in ps]
    for name, other in NAMED.items():
        if name != skin and other.urls in ("path", "query"):
            urls = Urls(other)
            for i, ps in plist.items():
                urls.register(i, ps)
                out += [urls.url(None, i, p.parts, {}) for p in ps]
    return out


@pytest.mark.parametrize("name", list(NAMED))
def test_named_skin(name: str, chromium: Any, tmp_path: Any) -> None:
    problems, urls, walk = _run(chromium, SimOptions(skin=name, nsb_size=64 * 1024), tmp_path)
    assert not problems, f"skin {name}:\n" + "\n".join(problems)
    foreign = set(_other_urls(name, "25.1")) & urls
    assert not foreign, f"skin {name} uses URLs of another skin: {sorted(foreign)[:5]}"


def test_pages_answer_only_their_own_urls(chromium: Any) -> None:
    """A skinned appliance knows none of the other skins' (or the classic) page URLs."""
    for name in NAMED:
        with Simulator(SimOptions(skin=name, agreement=False, totp=False)) as sim:
            info = sim.info()
            a = info["appliances"][0]
            page = _page(chromium)
            try:
                w = Wording(sim.rt.skin.skin)
                for iface in ("appliance", "login"):
                    creds = a["credentials"][iface]
                    kh.sign_in(page, w, f"https://{a['address']}:{a['port']}/{iface}", creds["username"],
                               creds["password"])
                for url in _other_urls(name, "25.1"):
                    r = page.request.get(f"https://{a['address']}:{a['port']}{url}")
                    assert r.status == 404, f"skin {name} answers {url} with {r.status}"
            finally:
                page.context.close()


# No shrinking: each example starts a simulator and walks ~32 pages; the failure message names seed and version.
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate])
@given(seed=st.integers(0, 2 ** 31 - 1), version=st.sampled_from(["25.1", "24.1", "23.3"]),
       panel_spec=st.sampled_from([None, "frame", "late", "shadow-open", "snmp=frame+late,email=shadow-open,psk=late"]))
def test_random_skins(seed: int, version: str, panel_spec: str | None, chromium: Any, tmp_path_factory: Any) -> None:
    tmp = tmp_path_factory.mktemp("skin")
    options = SimOptions(skin="random", seed=seed, version=version, secret_panels=panel_spec, nsb_size=64 * 1024)
    problems, _, _ = _run(chromium, options, tmp)
    assert not problems, f"random skin seed={seed} version={version} panels={panel_spec}:\n" + "\n".join(problems)


def test_the_comparison_fails_when_a_value_is_dropped_or_a_state_flipped(chromium: Any) -> None:
    """The page check above can fail: remove a value, flip a switch, blank a secret, and each is reported."""
    with Simulator(SimOptions(skin="slate", agreement=False)) as sim:
        walk = Walk(chromium, sim)
        try:
            iface, pd, blocks = next(x for x in walk.pages if x[1].slug == "networking.snmp")
            assert walk.goto(iface, pd) is None
            want = catalog.expect(blocks)
            assert kh.wait_shown(walk.tabs[iface], want) == []
            walk.tabs[iface].evaluate("""() => {
              document.querySelector('[name="snmp.location"]').remove();
              document.querySelector('[name="snmp.v2_enabled"]').previousElementSibling.click();
              document.querySelector('[name="snmp.v3_password"]').value = '';
            }""")
            gone = kh.wait_shown(walk.tabs[iface], want, timeout_s=0.5)
            assert any("DC1 Ashburn" in g for g in gone), gone
            assert "snmp.v2_enabled should be on" in gone, gone
            assert "secret field snmp.v3_password" in gone, gone
        finally:
            walk.close()


def _hooks(text: str) -> set[str]:
    """Every class, id, data-attribute name and script parameter a page carries."""
    classes = {c for group in re.findall(r'class="([^"]*)"', text) for c in group.split()}
    return classes | set(re.findall(r'id="([^"]+)"', text)) | set(re.findall(r"(data-[a-z0-9-]+)=", text)) | \
        set(re.findall(r"/res/k/([a-z0-9]+)\.", text))


def test_class_names_and_ids_change_on_every_start() -> None:
    seen = []
    for _ in range(2):
        with Simulator(SimOptions(skin="portal", agreement=False)) as sim:
            info = sim.info()
            with simhelpers.http_client(info) as client:
                page = client.get(info["appliances"][0]["appliance_url"]).text
                seen.append(_hooks(page) | _hooks(client.get(f"{info['appliances'][0]['base_url']}"
                                                             f"/res/k/{sim.rt.skin.names.asset}.js").text))
    assert len(seen[0]) > 10 and not seen[0] & seen[1], sorted(seen[0] & seen[1])


def test_skins_are_data_and_random_mixes_are_reproducible() -> None:
    from fixtures.skins import AXES, random_skin
    from fixtures.skins.spec import CASES, WORDING

    for axis, options in AXES.items():  # every option of every axis is some named skin's choice
        used = {getattr(s, axis) for s in NAMED.values()}
        assert set(options) <= used | {False, None}, f"{axis}: {set(options) - used} in no named skin"
    assert set(WORDING) <= {m for s in NAMED.values() for m in s.wording}
    assert set(CASES) <= {s.case for s in NAMED.values()}
    assert random_skin(7) == random_skin(7) and random_skin(7) != random_skin(8)
    with pytest.raises(ValueError):
        SimOptions(skin="nope")


def test_simulate_help_names_every_skin() -> None:
    from click.testing import CliRunner

    from capture.cli import cli

    out = CliRunner().invoke(cli, ["simulate", "--help"]).output
    for name in ("classic", *NAMED, "random"):
        assert f"{name}:" in out
    bad = CliRunner().invoke(cli, ["simulate", "--skin", "nope"])
    assert bad.exit_code == 2


def test_docs_list_what_each_skin_shows() -> None:
    """docs/skins.md is what `python -m fixtures.skins.doc` writes today."""
    from pathlib import Path

    from fixtures.skins import doc

    with Simulator(SimOptions(agreement=False)) as sim:
        want = doc.markdown(catalog.page_blocks(sim, hidden=True))
    got = (Path(__file__).parent.parent / "docs" / "skins.md").read_text()
    assert got.strip() == want.strip(), "docs/skins.md is out of date: python -m fixtures.skins.doc > docs/skins.md"
