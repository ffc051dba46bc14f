"""Shared pytest fixtures: one simulator (and one Chromium pinned to it) per test module, named sim_*."""
from __future__ import annotations

import os
import sys
from typing import Any, Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fixtures import Faults, SimOptions, Simulator  # noqa: E402

import simhelpers  # noqa: E402


def _sim(**kw: Any) -> Iterator[Simulator]:
    sim = Simulator(SimOptions(**kw)).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def sim_onprem() -> Iterator[Simulator]:
    """A single on-premises 25.1 appliance with the agreement and TOTP on."""
    yield from _sim(version="25.1")


@pytest.fixture(scope="module")
def sim_v23() -> Iterator[Simulator]:
    yield from _sim(version="23.3")


@pytest.fixture(scope="module")
def sim_pair() -> Iterator[Simulator]:
    yield from _sim(pair=True)


@pytest.fixture(scope="module")
def sim_drift() -> Iterator[Simulator]:
    yield from _sim(pair=True, drift=True, version="23.3")


@pytest.fixture(scope="module")
def sim_cloud() -> Iterator[Simulator]:
    yield from _sim(mode="cloud")


@pytest.fixture(scope="module")
def sim_hosted() -> Iterator[Simulator]:
    yield from _sim(mode="hosted")


@pytest.fixture(scope="module")
def sim_faults() -> Iterator[Simulator]:
    """Small backups so throttling and truncation tests stay fast."""
    yield from _sim(nsb_size=256 * 1024, agreement=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One throwaway PostgreSQL server per test process (a temp folder, a loopback port, an unprivileged user)."""
    from pgserver import PgServer, pg_bin

    simhelpers.require_tool(pg_bin("initdb") or "/usr/lib/postgresql/*/bin/initdb")
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """The same catalog tests on both engines: a SQLite file, and a fresh database on the test PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "catalog.sqlite")
    import uuid

    return request.getfixturevalue("pg_server").create_db("btc_" + uuid.uuid4().hex[:12])


@pytest.fixture()
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Reset every started module simulator after a test that changes state or faults."""
    yield
    for name in request.fixturenames:
        if name.startswith("sim_"):
            request.getfixturevalue(name).reset()


class Browsers:
    """One Chromium per simulator (its host rules and SPKI pins are launch flags)."""

    def __init__(self, playwright: Any) -> None:
        self.playwright, self._by_sim = playwright, {}

    def page(self, sim: Simulator) -> Any:
        key = id(sim)
        if key not in self._by_sim:
            self._by_sim[key] = simhelpers.launch(self.playwright, sim.info())
        return simhelpers.new_page(self._by_sim[key])

    def close(self) -> None:
        for b in self._by_sim.values():
            b.close()


@pytest.fixture(scope="module")
def browsers(playwright: Any) -> Iterator[Browsers]:
    b = Browsers(playwright)
    yield b
    b.close()


__all__ = ["Faults"]
