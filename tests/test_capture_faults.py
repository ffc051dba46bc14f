"""Each simulator fault knob: the run finishes, names the failed part, keeps everything else, exits as documented."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from captools import capture, secrets_of, sweep
from fixtures import Faults, SimOptions, Simulator

pytestmark = pytest.mark.xdist_group("capture-faults")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    s = Simulator(SimOptions(version="25.1", nsb_size=512 * 1024)).start()
    yield s
    s.stop()


@pytest.fixture()
def faulty(sim: Simulator) -> Iterator[Simulator]:
    yield sim
    sim.reset()


def _ok(snap: Any) -> set[str]:
    return {p.flow for p in snap.pages if p.status == "ok"}


def _failed(snap: Any) -> dict[str, str]:
    return {p.flow: p.error or "" for p in snap.pages if p.status == "failed"}


def _run(sim: Simulator, tmp: Path, **kw: Any) -> tuple[Any, Any, dict[str, str]]:
    outcome, env = capture(sim, tmp, page_timeout=kw.pop("page_timeout", 8.0), **kw)
    assert sim.events(kind="destructive") == []
    assert sweep(tmp, secrets_of(sim, env)) == []
    # Nothing partial is left looking complete: no temporary files, no unfinished snapshot folder.
    assert not list(tmp.rglob("*.part")) and not list(tmp.rglob(".*.partial"))
    return outcome, outcome.results[0].snapshot, env


def test_rejected_appliance_login_keeps_login_interface(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_faults(Faults(reject_logins="appliance"))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="ui")
    assert outcome.exit_code == 1
    assert any(f.kind == "login" and "refused" in f.error for f in snap.failures)
    assert all(f.startswith("appliance.") for f in _failed(snap))
    assert {"login.status.information", "login.management.software"} <= _ok(snap)
    assert {a.kind for a in snap.artifacts} == {"nsb", "vault_key"}
    # The Status page was not captured: what no page showed is "unknown" in the name, with a warning; the serial
    # number /login's Status page shows is used.
    serial = snap.page("login.status.information").sections
    assert f"_version-unknown_{snap.identity.serial_number}_base-unknown_" in outcome.results[0].folder.name
    assert snap.identity.serial_number and snap.identity.serial_number in str(serial)
    assert any("unknown" in w and "appliance version, base software version" in w for w in snap.warnings), \
        snap.warnings


def test_rejected_logins_everywhere_exit_3(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_faults(Faults(reject_logins="both"))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="ui")
    assert outcome.exit_code == 3
    assert not snap.artifacts


def test_session_expiry_means_one_relogin_per_bounce(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_faults(Faults(expire_session_after=7))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="ui")
    assert any("session expired" in line for line in snap.log), snap.log
    # Bounced pages were captured after logging in again, never as login-page content.
    for p in snap.pages:
        if p.status == "ok":
            texts = " ".join(f.label for s in p.sections for f in s.fields)
            assert "Log In" not in texts
    assert outcome.exit_code == 0, snap.failures


def test_session_that_keeps_expiring_fails_pages_not_the_run(faulty: Simulator, tmp_path: Path) -> None:
    """Every session dies after its first page: one re-login per page, then the page is a failure."""
    faulty.set_faults(Faults(expire_session_after=1))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="api")
    assert outcome.exit_code == 1
    failed = _failed(snap)
    assert failed and all("log" in e.lower() or "session" in e.lower() for e in failed.values()), failed
    # The login page was never stored as a page's content.
    for p in snap.pages:
        if p.status == "ok":
            assert "Log In" not in " ".join(f.label for s in p.sections for f in s.fields)
    # What does not need the browser session is kept: the NSB through the Backup API.
    assert [a.obtained for a in snap.artifacts if a.kind == "nsb"] == ["api"]


@pytest.mark.parametrize("knob", ["http500_page", "hang_page"])
def test_broken_page_fails_alone(faulty: Simulator, tmp_path: Path, knob: str) -> None:
    faulty.set_faults(Faults(**{knob: "SNMP"}))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="ui", page_timeout=5.0)
    assert outcome.exit_code == 1
    assert set(_failed(snap)) == {"appliance.networking.snmp"}
    assert "appliance.security.email_configuration" in _ok(snap)
    failure = next(f for f in snap.failures if f.step == "appliance.networking.snmp")
    assert failure.screenshot
    assert {a.kind for a in snap.artifacts} == {"p12", "nsb", "vault_key"}


def test_page_that_never_shows_its_values_is_failed_not_captured(faulty: Simulator, tmp_path: Path) -> None:
    """A page that loads but whose content never arrives ("Loading…") is the worst silent failure: recorded as
    captured, the binder looks complete. It must be failed, named with what it lacked, and exit 1."""
    faulty.set_faults(Faults(empty_page="IP Configuration"))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="ui", page_timeout=4.0, render=True)
    assert outcome.exit_code == 1
    failed = _failed(snap)
    assert set(failed) == {"appliance.networking.ip_configuration"}, failed
    assert "never showed its values" in failed["appliance.networking.ip_configuration"]
    assert "Default Gateway" in failed["appliance.networking.ip_configuration"]
    assert {"appliance.networking.static_routes", "appliance.networking.snmp"} <= _ok(snap)
    html = next(tmp_path.rglob("dossier.html")).read_text()
    assert "never showed its values" in html and "IP Configuration" in html


def test_truncated_backup_is_never_kept(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_faults(Faults(truncate_nsb=True))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="both")
    assert outcome.exit_code == 1
    assert not [a for a in snap.artifacts if a.kind == "nsb"]
    steps = {f.step for f in snap.failures}
    assert {"login.backup.api", "login.backup.ui"} <= steps
    assert not list(tmp_path.rglob("*.nsb"))
    assert {a.kind for a in snap.artifacts} == {"p12", "vault_key"}
    assert next(s for s in snap.procedure if s.id == "nsb").status == "failed"


def test_api_error_inside_200(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_faults(Faults(api_error_200=True))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="both")
    assert outcome.exit_code == 1
    api = next(f for f in snap.failures if f.step == "login.backup.api")
    assert "HTTP 200" in api.error
    assert [a.obtained for a in snap.artifacts if a.kind == "nsb"] == ["ui"]


def test_api_error_falls_back_to_the_ui_button(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_faults(Faults(api_error_200=True))
    outcome, snap, _ = _run(faulty, tmp_path, nsb="auto")
    assert outcome.exit_code == 0, snap.failures
    assert [a.obtained for a in snap.artifacts if a.kind == "nsb"] == ["ui"]
    assert any("Backup API failed" in w for w in snap.warnings)


def test_two_factor_required_without_a_secret(faulty: Simulator, tmp_path: Path) -> None:
    outcome, snap, _ = _run(faulty, tmp_path, nsb="ui", totp=False)
    assert outcome.exit_code == 1
    login = next(f for f in snap.failures if f.step == "login.login")
    assert "2FA" in login.error
    assert "appliance.security.certificates" in _ok(snap)


def test_latency_is_only_slower(faulty: Simulator, tmp_path: Path) -> None:
    faulty.set_latency(150)
    outcome, snap, _ = _run(faulty, tmp_path, nsb="api", certificate=False, vault_key=False)
    assert outcome.exit_code == 0, snap.failures
