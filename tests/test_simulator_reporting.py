"""The simulated /api/reporting: time windows, running sessions, variants, tokens, 429, framing, aged-out recordings."""
from __future__ import annotations

import re
import time
from typing import Any, Iterator

import pytest

from fixtures import Faults, SimOptions, Simulator
from simhelpers import api_token, http_client

pytestmark = pytest.mark.xdist_group("sim_reporting")


@pytest.fixture(scope="module")
def sim_rep() -> Iterator[Simulator]:
    sim = Simulator(SimOptions(sessions_per_day=6, session_days=2, recording_size=4096 * 3, agreement=False)).start()
    try:
        yield sim
    finally:
        sim.stop()


class Api:
    def __init__(self, sim: Simulator) -> None:
        self.info = sim.info()
        self.a = self.info["appliances"][0]
        self.client = http_client(self.info)
        self.token = api_token(self.client, self.a["base_url"], self.a["credentials"]["api"])

    def get(self, token: str | None = None, **params: Any) -> Any:
        return self.client.get(f"{self.a['base_url']}/api/reporting", params=params,
                               headers={"Authorization": f"Bearer {token or self.token}"})


@pytest.fixture()
def api(sim_rep: Simulator, clean: None) -> Iterator[Api]:
    a = Api(sim_rep)
    yield a
    a.client.close()


def _lsids(text: str) -> list[str]:
    return re.findall(r'lsid="([0-9a-f]{32})"', text)


def test_time_windows_and_running_sessions(sim_rep: Simulator, api: Api) -> None:
    book = sim_rep.sessions()
    now = int(time.time())
    everything = api.get(generate_report="SupportSessionListing", start_time=now - 4 * 86400, duration=0)
    assert everything.headers["connection"] == "close" and "sra/namespaces/API/reporting" in everything.text
    assert _lsids(everything.text) == [s.lsid for s in book.sessions]  # started: running ones included
    closed = api.get(generate_report="SupportSessionListing", end_time=now - 4 * 86400, duration=0)
    running = [s.lsid for s in book.sessions if s.end is None]
    assert running and set(_lsids(closed.text)) == {s.lsid for s in book.sessions} - set(running)
    first = book.sessions[0]
    day = time.strftime("%Y-%m-%d", time.gmtime(first.start))
    by_date = api.get(generate_report="SupportSessionListing", start_date=day, duration=1)
    assert first.lsid in _lsids(by_date.text)
    window = api.get(generate_report="SupportSessionListing", start_time=first.start, duration=1)
    assert _lsids(window.text) == [first.lsid]
    report = api.get(generate_report="SupportSession", lsid=running[0]).text
    assert "<end_time />" in report and "session_recording_download_url" not in report
    both = api.get(generate_report="SupportSession", lsids=",".join([first.lsid, running[0]])).text
    assert _lsids(both) == [first.lsid, running[0]] and 'timestamp="' in both


@pytest.mark.parametrize("variant", ["error-en", "error-fr", "empty"])
def test_empty_listing_variants_and_namespaces(sim_rep: Simulator, api: Api, variant: str) -> None:
    empty, _, lang = variant.partition("-")
    sim_rep.set_reporting(empty_listing=empty, report_language=lang or "en", report_namespace="bomgar")
    r = api.get(generate_report="SupportSessionListing", start_time=1000, duration=60)
    assert r.status_code == 200
    if empty == "empty":
        assert "<session_summary_list xmlns=\"http://www.bomgar.com/namespaces/API/reporting\" />" in r.text
    elif lang == "en":
        assert "<error >No Support report information matching your chosen criteria is available.</error>" in r.text
    else:
        assert "correspondant à vos critères" in r.text
    assert "Invalid lsid." in api.get(generate_report="SupportSession", lsid="0" * 32).text
    assert "Invalid report type" in api.get(generate_report="Nonsense").text


def test_recordings_framing_and_aged_out(sim_rep: Simulator, api: Api) -> None:
    book = sim_rep.sessions()
    recs = [s for s in book.sessions if s.recording and s.end is not None]
    expired, live = recs[0], recs[1:]
    assert expired.expired and "This recording has expired" in api.get(
        generate_report="SupportSessionRecording", lsid=expired.lsid).text
    framings = set()
    for s in live:
        r = api.get(generate_report="SupportSessionRecording", lsid=s.lsid)
        assert r.status_code == 200 and r.content[:3] == b"FLV" and len(r.content) == 4096 * 3
        framings.add("chunked" if r.headers.get("transfer-encoding") == "chunked" else r.headers["content-length"])
    assert framings == {"chunked", str(4096 * 3)}
    shell = next(s for s in book.sessions if s.shells and s.end is not None)
    r = api.get(generate_report="CommandShellRecording", lsid=shell.lsid, instance=0)
    assert r.content[:3] == b"FLV" and len(r.content) == 4096
    assert "instance" in api.get(generate_report="CommandShellRecording", lsid=shell.lsid).text


def test_tokens_expire_and_at_most_30_per_account(sim_rep: Simulator, api: Api) -> None:
    sim_rep.set_faults(Faults(expire_token_after=2, reporting_429_every=None))
    assert api.get(generate_report="SupportSession", lsid="0" * 32).status_code == 200
    assert api.get(generate_report="SupportSession", lsid="0" * 32).status_code == 200
    r = api.get(generate_report="SupportSession", lsid="0" * 32)
    assert r.status_code == 401 and "expired" in r.text
    sim_rep.set_faults(Faults())
    tokens = [api_token(api.client, api.a["base_url"], api.a["credentials"]["api"]) for _ in range(31)]
    assert api.get(tokens[0], generate_report="Nonsense").status_code == 401  # the 31st pushed out the oldest
    assert api.get(tokens[1], generate_report="Nonsense").status_code == 200
    appl = sim_rep.rt.appliances[0]
    sim_rep._call(lambda: appl.tokens.__setitem__(tokens[2], (appl.tokens[tokens[2]][0], time.time() - 1)))
    assert api.get(tokens[2], generate_report="Nonsense").status_code == 401  # past its hour


def test_429_with_retry_after(sim_rep: Simulator, api: Api) -> None:
    sim_rep.set_faults(Faults(reporting_429_every=2, reporting_retry_after=7))
    codes = [api.get(generate_report="Nonsense") for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 429, 200, 429]
    assert codes[1].headers["retry-after"] == "7"
