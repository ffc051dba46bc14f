"""Invariance: bt-capture reads the same appliance state through every skin as through the classic pages. Each named
skin, and a bounded hypothesis sample of random skins (`BTC_SKIN_SAMPLES=N` for a longer run outside CI; the seed
is printed on failure), is captured end to end (real Chromium, HTTPS, tesseract) and must give the same normalized
records (fields by section and label, tables by headers), the same network model (each address on its interface),
no legibility warning, no canary anywhere in its output, and no change to the appliance. The comparison itself is
shown to fail when a value is dropped, moved or changed.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import simhelpers
import skin_records as sr
from captools import capture, secrets_of, sweep
from fixtures import SimOptions, Simulator
from fixtures.skins.spec import NAMED, random_skin

pytestmark = pytest.mark.xdist_group("skin_invariance")
SAMPLES = int(os.environ.get("BTC_SKIN_SAMPLES", "2"))
# The certificate export is an action (its own flow), compared by its artifact elsewhere, not by its form.
ACTIONS = {"appliance.security.certificate_export"}
LEGIBILITY = "the screenshot shows only"


def _capture(options: SimOptions, folder: Path, pool: Any) -> dict[str, Any]:
    with Simulator(options) as sim:
        outcome, env = capture(sim, folder, nsb="none", ocr=pool)
        r = outcome.results[0]
        return {"snap": r.snapshot, "randoms": sr.randoms_of(sim), "exit": outcome.exit_code,
                "leaks": sweep(folder, secrets_of(sim, env)), "mutations": sim.events("destructive")}


@pytest.fixture(scope="module")
def pool() -> Any:
    from capture.ocr import OcrPool

    simhelpers.require_tool("tesseract")
    simhelpers.require_tool(simhelpers.CHROMIUM)
    with OcrPool(jobs=1) as p:
        yield p


@pytest.fixture(scope="module")
def classic(pool: Any, tmp_path_factory: Any) -> dict[str, Any]:
    got = _capture(SimOptions(), tmp_path_factory.mktemp("classic"), pool)
    assert got["exit"] == 0 and not got["snap"].failures, [f.error for f in got["snap"].failures]
    got["records"] = _records(got)
    return got


def _records(got: dict[str, Any]) -> sr.Records:
    flows = {p.flow for p in got["snap"].pages} - ACTIONS
    return sr.records(got["snap"], got["randoms"], flows=flows)


def _network(got: dict[str, Any]) -> dict[str, Any]:
    """The network part of the settings model, without provenance, random values as placeholders."""
    from flows import settings

    net = settings.build(got["snap"]).network
    assert net is not None, "no network model"
    out = {"hostname": net.hostname.value, "gateway4": net.gateway4.value, "gateway6": net.gateway6.value,
           "dns": net.dns_servers.value,
           "nics": sorted((n.name, tuple(sorted((a.address, a.prefix) for a in n.addresses))) for n in net.nics)}
    return out


def _problems(got: dict[str, Any], classic: dict[str, Any]) -> list[str]:
    snap = got["snap"]
    out = [f"failure {f.step}: {f.error[:160]}" for f in snap.failures if f.step not in ACTIONS]
    # The same certificate exported (a .p12 that verifies), whatever the markup of its table and export form.
    chosen = {k: [(a.options.get("certificate"), a.verification.verdict if a.verification else None)
                  for a in g["snap"].artifacts if a.kind == "p12"] for k, g in (("got", got), ("classic", classic))}
    if chosen["got"] != chosen["classic"]:
        out.append(f"certificate: {chosen['got']} != {chosen['classic']}")
    out += [f"page {p.flow}: {p.status}" for p in snap.pages if p.status != "ok" and p.flow not in ACTIONS]
    out += sr.compare(classic["records"], _records(got))
    if _network(got) != _network(classic):
        out.append(f"network model differs: {_network(got)} != {_network(classic)}")
    out += [f"warning: {w}" for w in snap.warnings if LEGIBILITY in w]
    out += [f"  not read on {p.flow}: {p.ocr.missing}" for p in snap.pages if p.ocr and p.ocr.flagged]
    out += [f"leak: {x}" for x in got["leaks"]] + [f"mutation: {e['action']}" for e in got["mutations"]]
    return out


def test_classic_is_its_own_match(classic: dict[str, Any]) -> None:
    """The baseline: classic pages read with nothing missing, no warning, no leak, nothing changed."""
    assert classic["records"].values and classic["records"].tables
    assert _problems(classic, classic) == []
    nics = _network(classic)["nics"]
    assert nics and all(name and addrs for name, addrs in nics), nics


@pytest.mark.parametrize("name", list(NAMED))
def test_named_skin_reads_as_classic(name: str, classic: dict[str, Any], pool: Any, tmp_path: Path) -> None:
    got = _capture(SimOptions(skin=name), tmp_path, pool)
    assert _problems(got, classic) == []


@settings(max_examples=SAMPLES, deadline=None, phases=[Phase.generate], derandomize=not os.environ.get("BTC_SKIN_SAMPLES"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_random_skin_reads_as_classic(seed: int, classic: dict[str, Any], pool: Any,
                                      tmp_path_factory: Any) -> None:
    skin = random_skin(seed)
    got = _capture(SimOptions(skin="random", seed=seed), tmp_path_factory.mktemp(f"random-{seed}"), pool)
    problems = _problems(got, classic)
    assert problems == [], f"random skin seed={seed} ({skin}): {problems}"


def test_the_comparison_fails_when_a_value_is_dropped_moved_or_changed(classic: dict[str, Any]) -> None:
    base = classic["records"]
    assert sr.compare(base, base) == []
    sections: dict[str, set[str]] = {}
    for v in base.values:
        sections.setdefault(v.flow, set()).add(v.section)
    # a value on a page of several sections, so that it can be moved to another
    fields = [i for i, v in enumerate(base.values) if v.value and v.kind != "static" and len(sections[v.flow]) > 1]
    assert fields
    dropped = copy.deepcopy(base)
    gone = dropped.values.pop(fields[0])
    assert any(p.startswith("missing:") and gone.label in p for p in sr.compare(base, dropped))
    moved = copy.deepcopy(base)
    other = next(v.section for v in base.values if v.flow == moved.values[fields[0]].flow
                 and v.section != moved.values[fields[0]].section)
    moved.values[fields[0]].section = other
    assert any(p.startswith("moved:") for p in sr.compare(base, moved))
    changed = copy.deepcopy(base)
    changed.values[fields[0]].value = ("something", "else")
    assert any(p.startswith("changed:") for p in sr.compare(base, changed))
    control = copy.deepcopy(base)  # a button read as a field ("Add Route = Save Changes")
    control.values.append(sr.Value(base.values[0].flow, base.values[0].section, "Add Route", ("save", "changes")))
    assert any(p.startswith("extra:") for p in sr.compare(base, control))
    table = next(i for i, t in enumerate(base.tables) if len(t.rows) > 1)
    row = copy.deepcopy(base)
    row.tables[table].rows.pop()
    assert any(p.startswith("rows differ:") for p in sr.compare(base, row))
