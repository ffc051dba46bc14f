"""End to end: bt-capture against the simulated pair, both versions, on-prem, cloud and hosted, in real Chromium."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from captools import capture, modes, secrets_of, sweep, values
from fixtures import SimOptions, Simulator

pytestmark = pytest.mark.xdist_group("capture-e2e")

APPLIANCE_FLOWS = {"appliance.status.basics", "appliance.networking.ip_configuration",
                   "appliance.networking.static_routes", "appliance.networking.snmp",
                   "appliance.security.certificates", "appliance.security.ssl_tls",
                   "appliance.security.appliance_administration", "appliance.security.email_configuration"}
LOGIN_FLOWS = {"login.status.information", "login.management.software", "login.management.failover",
               "login.management.security"}
NAME = re.compile(r"^bt[12]\.example\.test_[\d.]+_BT[A-Z]+-\d+_base-[\w.-]+_\d{4}-\d\d-\d\dT\d{4}Z$")


def _pair(version: str, tmp: Path, ocr: Any = None) -> Iterator[tuple[Simulator, Any, dict[str, str]]]:
    sim = Simulator(SimOptions(pair=True, version=version)).start()
    try:
        outcome, env = capture(sim, tmp, nsb="both", ocr=ocr)
        yield sim, outcome, env
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def pair25(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Any, dict[str, str]]]:
    from capture.ocr import OcrPool

    with OcrPool() as pool:
        yield from _pair("25.1", tmp_path_factory.mktemp("pair25"), ocr=pool)


@pytest.fixture(scope="module")
def pair23(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Any, dict[str, str]]]:
    yield from _pair("23.3", tmp_path_factory.mktemp("pair23"))


@pytest.mark.parametrize("which", ["pair25", "pair23"])
def test_every_page_and_artifact_of_both_peers(which: str, request: pytest.FixtureRequest) -> None:
    sim, outcome, _ = request.getfixturevalue(which)
    assert outcome.exit_code == 0, [(r.name, r.snapshot.failures if r.snapshot else r.error) for r in outcome.results]
    info = {a["name"]: a for a in sim.info()["appliances"]}
    for r in outcome.results:
        snap = r.snapshot
        assert not snap.failures, snap.failures
        ok = {p.flow for p in snap.pages if p.status == "ok"}
        assert APPLIANCE_FLOWS | LOGIN_FLOWS <= ok
        assert "appliance.security.certificate_export" in ok
        # The four values the vendor names backups after, read from Status > Basics.
        assert snap.identity.serial_number == info[r.name]["serial_number"]
        assert snap.identity.appliance_version and snap.identity.base_software_version and snap.identity.system_time
        assert NAME.match(r.folder.name), r.folder.name
        kinds = sorted((a.kind, a.obtained) for a in snap.artifacts)
        assert kinds == [("nsb", "api"), ("nsb", "ui"), ("p12", "ui"), ("vault_key", "ui")]
        assert all(a.verification and a.verification.verdict in ("pass", "warn") for a in snap.artifacts), \
            [(a.kind, a.verification) for a in snap.artifacts]
        assert all(Path(r.folder, a.path).name.startswith(r.folder.name) for a in snap.artifacts)
        assert {s.status for s in snap.procedure} <= {"done", "n/a"}
        assert not modes(r.folder)


def test_values_are_extracted_by_label(pair25: tuple[Simulator, Any, dict[str, str]]) -> None:
    _, outcome, _ = pair25
    snap = outcome.results[0].snapshot
    snmp = values(snap, "appliance.networking.snmp")
    assert snmp["Read-Only Community Name"] == "[redacted]"
    assert snmp["Enable SNMPv2"] in ("on", "off")
    assert snmp["System Location"]
    admin = values(snap, "appliance.security.appliance_administration")
    assert admin["Remote Syslog Server"] and admin["Message Format"]
    assert len(admin["Agreement Text"]) > 40
    routes = snap.page("appliance.networking.static_routes").sections
    assert any(t.headers and "Gateway" in t.headers and t.rows for s in routes for t in s.tables)
    sec = values(snap, "login.management.security")
    key = next(v for k, v in sec.items() if "Pre-shared Key" in k or "Pre-Shared Key" in k)
    assert key == "[redacted]"


def test_read_only_and_no_secret_anywhere(pair25: tuple[Simulator, Any, dict[str, str]]) -> None:
    sim, outcome, env = pair25
    assert sim.events(kind="destructive") == []
    root = outcome.results[0].folder.parent
    secrets = secrets_of(sim, env)
    assert len(secrets) > 10
    assert sweep(root.parent, secrets) == []


def test_ocr_reads_what_the_dom_says(pair25: tuple[Simulator, Any, dict[str, str]]) -> None:
    _, outcome, _ = pair25
    found = checked = 0
    for r in outcome.results:
        for p in r.snapshot.pages:
            assert p.ocr and p.ocr.error is None, (p.flow, p.ocr)
            found += round((p.ocr.legibility or 0) * p.ocr.checked)
            checked += p.ocr.checked
    assert checked > 200
    assert found / checked >= 0.98, f"{found}/{checked}"


def test_certificate_export_is_the_presented_site_certificate(pair25: tuple[Simulator, Any, dict[str, str]]) -> None:
    _, outcome, _ = pair25
    a, b = (r.snapshot for r in outcome.results)
    pa, pb = a.artifact("p12"), b.artifact("p12")
    assert pa.verification.details["sha256"] == a.tls[0].sha256
    assert pa.verification.details["sha256"] == pb.verification.details["sha256"]  # identical on both peers


@pytest.mark.parametrize("mode", ["cloud", "hosted"])
def test_cloud_and_hosted_capture_what_they_have(mode: str, tmp_path: Path) -> None:
    sim = Simulator(SimOptions(mode=mode)).start()
    try:
        outcome, env = capture(sim, tmp_path, nsb="auto")
        assert sim.events(kind="destructive") == []
        secrets = secrets_of(sim, env)
    finally:
        sim.stop()
    r = outcome.results[0]
    assert r.exit_code == 0, r.snapshot.failures
    flows = {p.flow for p in r.snapshot.pages if p.status == "ok"}
    assert {"login.status.information", "login.management.software", "login.management.security"} <= flows
    kinds = sorted(a.kind for a in r.snapshot.artifacts)
    if mode == "cloud":
        assert {"appliance.security.certificates", "appliance.security.ssl_tls"} <= flows
        assert not flows & {"appliance.networking.ip_configuration", "appliance.status.basics"}
        assert kinds == ["nsb", "p12", "vault_key"]
    else:
        assert not any(f.startswith("appliance.") for f in flows)
        assert kinds == ["nsb", "vault_key"]
    na = {s.id for s in r.snapshot.procedure if s.status == "n/a"}
    assert {"ip_configuration", "static_routes", "snmp"} <= na
    assert not r.snapshot.failures
    assert sweep(tmp_path, secrets) == []


def _bt(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capture.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_hand_made_screenshot_becomes_a_record(pair25: tuple[Simulator, Any, dict[str, str]]) -> None:
    import json

    _, outcome, _ = pair25
    r = outcome.results[0]
    shot = r.folder / r.snapshot.page("appliance.status.basics").screenshot
    p = _bt("ocr", str(shot), "--page", "appliance.status.basics", "--json")
    assert p.returncode == 0, p.stderr
    from capture.ocr_text import fold

    fields = {f["label"]: f["value"] for rec in json.loads(p.stdout) for s in rec["sections"] for f in s["fields"]}
    # OCR may split a token or confuse look-alike glyphs; compare as the legibility check does.
    assert fold(fields.get("Serial Number") or "") == fold(r.snapshot.identity.serial_number), fields
    assert {"Appliance Version", "Base Software Version", "System Time"} <= set(fields)


def test_verify_command_rechecks_and_catches_tampering(pair25: tuple[Simulator, Any, dict[str, str]],
                                                       tmp_path: Path) -> None:
    import shutil

    _, outcome, env = pair25
    folder = tmp_path / "copy"
    shutil.copytree(outcome.results[0].folder, folder)
    p = _bt("verify", str(folder), "--passphrase-env", "BTC_P12_PASSPHRASE", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "verified" in p.stdout.splitlines()[-1]
    nsb = next(folder.glob("artifacts/*api.nsb"))
    with open(nsb, "r+b") as f:
        f.seek(100)
        f.write(b"\x00tampered")
    p = _bt("verify", str(folder), env=env)
    assert p.returncode == 1
    assert "differs from the manifest" in p.stdout
