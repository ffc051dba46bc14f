"""A BeyondTrust Cloud capture renders a shorter dossier: no network runbook, no empty sections."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

import simhelpers
from fixtures import SimOptions, Simulator
from test_dossier import capture_into, run_async, pdf_text, squash, values

pytestmark = pytest.mark.xdist_group("dossier")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    from reports import dossier

    # The site certificate is bound to a front end's address: neither the appliance's (cloud sites show none)
    # nor the one bt-capture connects to.
    sim = Simulator(SimOptions(mode="cloud", cert_binding="elsewhere")).start()
    try:
        outcome, env = capture_into(sim, tmp_path_factory.mktemp("cloud"), nsb="ui")
        secrets = sorted(set(sim.info()["canaries"]) | set(env.values()))
    finally:
        sim.stop()
    folder = outcome.results[0].folder
    run_async(dossier.render_all([folder], [], folder.parent))
    yield {"folder": folder, "secrets": secrets}


def test_cloud_dossier_is_short_and_has_no_empty_section(cloud: dict[str, Any], playwright: Any) -> None:
    folder = cloud["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["deployment"] == "cloud"
    browser = playwright.chromium.launch(executable_path=simhelpers.CHROMIUM, args=simhelpers.CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        page.goto((folder / "dossier.html").as_uri())
        network = page.locator("#runbook-network")
        assert "managed by BeyondTrust" in network.inner_text()
        assert network.locator("table").count() == 0 and network.locator(".where").count() == 0
        assert "Security > SSL/TLS Configuration" in page.locator("#runbook-settings").inner_text()
        for gone in ("Networking > IP Configuration", "Syslog", "Email Configuration: "):
            assert gone not in page.locator("#runbook").inner_text(), gone
        empty = page.evaluate("""() => [
            ...[...document.querySelectorAll('.block')].filter(b => !b.querySelector('table, .note')),
            ...[...document.querySelectorAll('table')].filter(t => !t.querySelector('tbody tr')),
            ...[...document.querySelectorAll('.step')].filter(s => s.innerText.split('\\n').length < 2),
            ...[...document.querySelectorAll('section.major, article')].filter(s => s.innerText.length < 60),
        ].map(e => e.outerHTML.slice(0, 120))""")
        assert not empty
        flows = page.evaluate("[...document.querySelectorAll('article.page-section')].map(a => a.id)")
        assert sorted(flows) == sorted(p["flow"] for p in manifest["pages"])
        assert "/login > Appliance > Security > SSL/TLS Configuration" in page.locator(
            '[id="appliance.security.ssl_tls"]').inner_text()
    finally:
        browser.close()


def test_cloud_snapshot_is_named_from_login_and_its_certificate_is_exported(cloud: dict[str, Any]) -> None:
    folder = cloud["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert folder.name.startswith("support.example.test_25.1.2_build-b.27113-2025-04-17_"), folder.name
    assert "unknown" not in folder.name and not [w for w in manifest["warnings"] if "unknown" in w]
    assert not manifest["failures"], manifest["failures"]
    [p12] = [a for a in manifest["artifacts"] if a["kind"] == "p12"]
    assert p12["verification"]["verdict"] == "pass"
    site = manifest["settings"]["certificates"]["site"]
    assert site["name"] == "support.example.test" and site["decided_by"] == "export"
    assert site["own_addresses"] == [] and "cloud sites have no IP Configuration page" in site["addresses_from"]
    [cert] = [c for c in manifest["settings"]["certificates"]["installed"] if c["name"] == "support.example.test"]
    assert cert["ips"] == ["203.0.113.10"]
    runbook = (folder / "dossier.html").read_text().split('id="runbook-certificate"', 1)[1].split('class="step"')[0]
    assert "Which certificate is the site certificate" in runbook and "cloud sites have no IP Configuration" in runbook


def test_cloud_pdf_holds_every_value_and_no_secret(cloud: dict[str, Any]) -> None:
    folder = cloud["folder"]
    manifest = json.loads((folder / "manifest.json").read_text())
    text = pdf_text(folder / "dossier.pdf")
    missing = [(w, v) for w, v in values(manifest) if squash(v) not in text]
    assert not missing, missing[:10]
    assert not [s[:8] for s in cloud["secrets"] if len(s) >= 6 and s in text]
    pages = subprocess.run(["pdfinfo", str(folder / "dossier.pdf")], capture_output=True, text=True, check=True).stdout
    assert int(pages.split("Pages:")[1].split()[0]) < 35  # an on-premises dossier runs to about 50
    assert squash("not shown on cloud sites") in text


def test_hosted_dossier_says_what_beyondtrust_manages(tmp_path: Path) -> None:
    from reports import dossier

    sim = Simulator(SimOptions(mode="hosted")).start()
    try:
        outcome, _ = capture_into(sim, tmp_path, nsb="ui")
    finally:
        sim.stop()
    folder = outcome.results[0].folder
    html = dossier.render_html(folder).read_text()
    runbook = html.split('id="runbook"', 1)[1].split('id="pages"', 1)[0]
    for step in ("network", "certificate", "settings"):
        block = runbook.split(f'id="runbook-{step}"', 1)[1].split('class="step"', 1)[0]
        assert "managed by BeyondTrust" in block and "<table" not in block, step
    assert 'id="appliance.' not in html and "/login &gt; Management &gt; Software &gt; Restore Settings" in runbook
