"""Dossier edge cases from hand-made manifests: failures first, missing values, tall screenshots, partial runs."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

import simhelpers
from capture.records import (Artifact, CheckItem, Failure, Field, Identity, OcrResult, PageRecord, ProcedureStep,
                             SecretRef, Section, Snapshot, Table, TlsInfo, Verification)
from reports import dossier
from reports.cli import render_cmd
from test_dossier import run_async

pytestmark = pytest.mark.xdist_group("dossier")
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def png(path: Path, height: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (1280, height), "white")
    for y in range(0, height, 200):  # stripes, so a badly cut tile would show
        img.paste((200, 220, 240), (0, y, 1280, y + 40))
    img.save(path)
    return str(path.relative_to(path.parent.parent))


def snapshot(folder: Path) -> Snapshot:
    """An on-premises capture with one failed page, an expiring certificate, a failed check and --insecure."""
    ip = PageRecord(flow="appliance.networking.ip_configuration", interface="appliance",
                    title="Networking > IP Configuration", menu_path=["Networking", "IP Configuration"],
                    url="https://bt1.example.test/appliance/networking/ip", captured_at=T0,
                    screenshot=png(folder / "pages" / "ip.png", 4000),
                    ocr=OcrResult(engine="tesseract", text="Hostname bt1", legibility=0.5, checked=8,
                                  missing=["DNS: 10.1.1.1"], flagged=True),
                    sections=[Section(title="Networking :: Global", fields=[
                        Field(label="Host Name", value="bt1.example.test"),
                        Field(label="IPv4 Default Gateway", value="10.9.8.1")]),
                        Section(title="eth0", fields=[Field(label="Interface", value="eth0", kind="dl"),
                                                      Field(label="Link Detected", value="Yes", kind="dl")],
                                tables=[Table(headers=["IP Address", "Subnet Mask/Prefix"],
                                              rows=[["10.9.8.7", "255.255.255.0"]])])])
    snmp = PageRecord(flow="appliance.networking.snmp", interface="appliance", title="Networking > SNMP",
                      menu_path=["Networking", "SNMP"], status="failed", error="page did not load within 20 s")
    secure = PageRecord(flow="login.management.security", interface="login", title="Management > Security",
                        menu_path=["Management", "Security"], sections=[Section(title="Security :: Options", fields=[
                            Field(label="Inter-appliance Communication Pre-shared Key", value="[redacted]",
                                  kind="password", secret=True, is_set=True)])])
    end = T0 + timedelta(days=30)
    p12 = Artifact(kind="p12", path="artifacts/x__site-certificate.p12", size=3000, sha256="ab" * 32, obtained="ui",
                   created_at=T0, secret_ref="environment variable BTC_P12",
                   verification=Verification(verdict="fail", checks=[
                       CheckItem(name="chain", status="fail", detail="incomplete: issuer missing")],
                       details={"subject": "CN=support.example.test", "sha256": "cd" * 32, "not_after":
                                end.isoformat(), "days_left": 30, "chain": []}))
    return Snapshot(
        name=folder.name, label="bt1", site_hostname="support.example.test", appliance_hostname="bt1.example.test",
        role="primary", identity=Identity(appliance_version="7.1.1", serial_number="SN1",
                                          base_software_version="7.1.1 (rev. 1)", system_time="2026-05-01 12:00 UTC"),
        started_at=T0, finished_at=T0 + timedelta(minutes=2), insecure=True, pages=[ip, snmp, secure],
        tls=[TlsInfo(host="bt1.example.test", port=443, trust="insecure", sha256="cd" * 32, spki_sha256="x",
                     not_after=end)],
        artifacts=[p12], secrets=[SecretRef(name="p12_passphrase", where="environment variable BTC_P12")],
        failures=[Failure(step="appliance.networking.snmp", error="page did not load within 20 s",
                          screenshot=png(folder / "pages" / "snmp-failed.png", 700)),
                  Failure(step="login.vault_key", kind="artifact", error="no Download Vault Encryption Key button",
                          screenshot=png(folder / "pages" / "vault-failed.png", 600))],
        procedure=[ProcedureStep(id="snmp", title="Screenshot Networking > SNMP", status="failed",
                                 detail="appliance.networking.snmp: page did not load within 20 s"),
                   ProcedureStep(id="certificate", title="Export the certificate", status="failed",
                                 evidence=["artifacts/site-certificate.p12"], detail="site-certificate.p12 failed")])


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "bt1_snap"
    f.mkdir()
    (f / "manifest.json").write_text(snapshot(f).model_dump_json())
    return f


def text_of(html: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.read_text()))


def test_problems_and_warnings_come_first(folder: Path) -> None:
    html = dossier.render_html(folder)
    text = text_of(html)
    cover, warnings = text.split("Contents", 1)[0], text.split("Backup checklist The vendor", 1)[0]
    assert "4 problems" in cover and "Complete" not in cover
    for needle in ("Networking &gt; SNMP failed: page did not load within 20 s",
                   "check “chain” failed: incomplete: issuer missing", "expires on 2026-05-31: 29 days after",
                   "not verified (--insecure)", "Networking &gt; IP Configuration: the screenshot shows only 50%"):
        assert needle in warnings, needle
    raw = html.read_text()
    assert re.search(r'class="errorbox"><strong>Capture failed:</strong> page did not load', raw)
    assert 'src="pages/snmp-failed.png"' in raw.split('id="appliance.networking.snmp"')[1]
    assert 'src="pages/vault-failed.png"' in raw.split('id="warnings"')[1].split('id="checklist"')[0]
    assert 'href="#artifact-0"' in raw  # checklist evidence with the unprefixed name links to the prefixed file


def test_runbook_degrades_when_values_are_missing(folder: Path) -> None:
    text = text_of(dossier.render_html(folder))
    runbook = text.split("Restore runbook Rebuild", 1)[1].split("Captured pages", 1)[0]
    # Labels of another product version are found through the alias vocabulary.
    assert "Hostname bt1.example.test" in runbook or "Host Name bt1.example.test" in runbook
    assert "10.9.8.1" in runbook and "10.9.8.7" in runbook
    assert "Not found on the captured page: IPv6 default gateway, DNS servers" in runbook
    assert "Networking &gt; SNMP: page did not load within 20 s (see section “Networking &gt; SNMP”)" in runbook
    assert "Networking &gt; Static Routes: not captured" in runbook
    assert "Link Detected" not in runbook  # link state is hardware status, not a setting to re-enter
    assert "Inter-appliance Communication Pre-shared Key set (redacted)" in runbook


def test_tall_screenshot_is_cut_into_page_tiles(folder: Path) -> None:
    raw = dossier.render_html(folder).read_text()
    article = raw.split('id="appliance.networking.ip_configuration"', 1)[1].split("</figure>", 1)[0]
    tiles = re.findall(r'class="tile" style="aspect-ratio: 1280 / (\d+)"><img src="pages/ip.png"[^>]*top: ([-\d.]+)%',
                       article)
    assert len(tiles) == 3 and sum(int(h) for h, _ in tiles) == 4000
    assert all(int(h) <= 1280 * 1.2 + 1 for h, _ in tiles)
    assert [round(float(t) * int(h) / -100) for h, t in tiles] == [0, 1334, 2668]


def test_pdf_of_a_failed_capture(folder: Path, tmp_path: Path) -> None:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    other = tmp_path / "broken"
    other.mkdir()
    (other / "manifest.json").write_text("{not json")
    (other / "dossier.pdf").write_bytes(b"%PDF stale")
    with pytest.raises(dossier.RenderError, match="broken"):
        run_async(dossier.render_all([folder, other], [], tmp_path))
    assert not (other / "dossier.pdf").exists() and not (other / "dossier.html").exists()
    assert (folder / "dossier.pdf").read_bytes().startswith(b"%PDF")
    index = (tmp_path / "index.html").read_text()
    assert "bt1_snap/dossier.html" in index and "unreadable" in index and (tmp_path / "binder.pdf").exists()


def test_partial_manifest_is_marked(folder: Path) -> None:
    (folder / "manifest.json").rename(folder / "manifest.partial.json")
    text = text_of(dossier.render_html(folder))
    assert "5 problems" in text and "The capture did not finish" in text


def test_render_command(folder: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(render_cmd, ["--html-only", str(folder)])
    assert r.exit_code == 0, r.output
    assert (folder / "dossier.html").exists() and not (folder / "dossier.pdf").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    r = CliRunner().invoke(render_cmd, [str(empty)])
    assert r.exit_code == 2 and "no manifest.json" in r.output
    diff = tmp_path / "d"
    diff.mkdir()
    (diff / "diff.json").write_text(json.dumps({"a": "bt1", "b": "bt2", "verdict": "2 must-match differences",
                                                "must_match": 2, "differences": [
                                                    {"flow": "f", "section": "s", "label": "Cipher", "class":
                                                     "must_match", "a": "on", "b": "off"}]}))
    (diff / "diff.html").write_text("<p>diff")
    r = CliRunner().invoke(render_cmd, ["--html-only", str(folder), "--diff", str(diff)])
    assert r.exit_code == 0, r.output
    text = text_of(folder / "dossier.html")
    assert "Differs from the failover peer bt2 in settings that must match: 2 must-match differences" in text
    assert "Cipher on off" in text
    assert 'href="../d/diff.html"' in (folder / "dossier.html").read_text()
