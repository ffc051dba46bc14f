"""End to end against markup bt-capture was not written for: the simulated 24.1 pair (see fixtures/templates/v24)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from captools import capture, modes, secrets_of, sweep, values
from test_capture_e2e import APPLIANCE_FLOWS, LOGIN_FLOWS, NAME

from fixtures import SimOptions, Simulator

pytestmark = pytest.mark.xdist_group("capture-variant")
Run = tuple[Simulator, Any, dict[str, str]]


@pytest.fixture(scope="module")
def pair24(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    sim = Simulator(SimOptions(pair=True, version="24.1")).start()
    try:
        outcome, env = capture(sim, tmp_path_factory.mktemp("pair24"), nsb="both")
        yield sim, outcome, env
    finally:
        sim.stop()


def test_every_page_and_artifact_of_both_peers(pair24: Run) -> None:
    """The same assertions as test_capture_e2e for 23.3 and 25.1."""
    sim, outcome, _ = pair24
    assert outcome.exit_code == 0, [(r.name, r.snapshot.failures if r.snapshot else r.error) for r in outcome.results]
    info = {a["name"]: a for a in sim.info()["appliances"]}
    for r in outcome.results:
        snap = r.snapshot
        assert not snap.failures, snap.failures
        ok = {p.flow for p in snap.pages if p.status == "ok"}
        assert APPLIANCE_FLOWS | LOGIN_FLOWS <= ok
        assert "appliance.security.certificate_export" in ok
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


def _headers(snap: Any, flow: str) -> list[list[str]]:
    rec = snap.page(flow)
    return [t.headers for s in rec.sections for t in s.tables] if rec else []


def test_values_are_read_by_their_visible_labels(pair24: Run) -> None:
    """Labels in a preceding <div> or bold text, tables headed by <td><b>, "Label: value" paragraphs."""
    sim, outcome, _ = pair24
    a = sim.info()["appliances"][0]
    snap = next(r.snapshot for r in outcome.results if r.name == a["name"])
    basics = values(snap, "appliance.status.basics")
    assert basics.get("Serial Number") == a["serial_number"] and basics.get("Appliance Version") == "6.4.2"
    snmp = values(snap, "appliance.networking.snmp")
    assert snmp.get("Read-Only Community Name") == "[redacted]" and snmp.get("System Location", "").startswith("DC1")
    admin = values(snap, "appliance.security.appliance_administration")
    assert admin.get("Remote Syslog Server") == "syslog1.example.test, 10.20.40.15"
    assert len(admin.get("Agreement Text", "")) > 40
    assert any("Gateway" in h for h in _headers(snap, "appliance.networking.static_routes"))
    assert any("Alternative Name" in h and "Private Key" in h for h in _headers(snap, "appliance.security.certificates"))
    sec = values(snap, "login.management.security")
    assert sec.get("Minimum Password Length") == "12"
    assert sec.get("Inter-appliance Communication Pre-shared Key") == "[redacted]"
    software = values(snap, "login.management.software")
    assert software.get("Backup Password") == "[redacted]" and software.get("Include logged session reporting data")
    failover = values(snap, "login.management.failover")
    assert failover.get("Automatic Data-Sync Interval") == "Every 4 hours"
    assert failover.get("Data-Sync Bandwidth Limit") == "Unlimited"
    info = values(snap, "login.status.information")
    assert info.get("Product Version") == "24.1.3"


def test_read_only_and_no_secret_anywhere(pair24: Run) -> None:
    sim, outcome, env = pair24
    assert sim.events(kind="destructive") == []
    assert sweep(outcome.results[0].folder.parent.parent, secrets_of(sim, env)) == []
