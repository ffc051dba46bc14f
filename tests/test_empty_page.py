"""Empty is a failure, on every skin: a page that loads but never shows its values ("Loading…" that is never
filled in) is failed and named with what it lacked, never recorded as captured, and the run exits 1."""
from __future__ import annotations

from pathlib import Path

import pytest

from captools import capture, secrets_of, sweep
from fixtures import Faults, SimOptions, Simulator
from fixtures.skins import NAMED

pytestmark = pytest.mark.xdist_group("empty-page")


@pytest.mark.parametrize("skin", ["classic", *NAMED])
def test_a_page_without_its_values_fails_on_every_skin(skin: str, tmp_path: Path) -> None:
    with Simulator(SimOptions(skin=skin, faults=Faults(empty_page="Static Routes"))) as sim:
        outcome, env = capture(sim, tmp_path, page_timeout=4.0, nsb="none", certificate=False, vault_key=False)
        assert sim.events(kind="destructive") == []
        assert sweep(tmp_path, secrets_of(sim, env)) == []
    snap = outcome.results[0].snapshot
    assert outcome.exit_code == 1, snap.failures
    page = snap.page("appliance.networking.static_routes")
    assert page.status == "failed" and "never showed its values" in (page.error or ""), page
    assert "Destination" in page.error, page.error
    assert any(f.step == "appliance.networking.static_routes" for f in snap.failures)
    others = [p.flow for p in snap.pages if p.status != "ok" and p.flow != page.flow]
    assert others == [], others
