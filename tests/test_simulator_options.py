"""SimOptions/Faults validation and the CLI's --fault parsing (no server needed)."""
from __future__ import annotations

import pytest

from fixtures import Faults, SimOptions

pytestmark = pytest.mark.xdist_group("sim_options")


def test_fault_parsing() -> None:
    f = Faults.parse(["hang_page=SNMP", "truncate_nsb", "expire_session_after=5", "api-error-200=0",
                      "reject_logins=both", "slow_nsb_kbps=800"])
    assert f == Faults(hang_page="SNMP", truncate_nsb=True, expire_session_after=5, api_error_200=False,
                       reject_logins="both", slow_nsb_kbps=800)
    assert Faults.parse(["reporting_429_every=3", "expire_token_after=7", "cut_recordings=2"]) == Faults(
        reporting_429_every=3, expire_token_after=7, cut_recordings=2)
    with pytest.raises(ValueError):
        Faults.parse(["no_such_fault=1"])
    with pytest.raises(ValueError):
        Faults(reject_logins="nobody")


def test_page_label_matching() -> None:
    f = Faults(http500_page="Networking > SNMP")
    assert f.matches_page(f.http500_page, "Networking", "SNMP")
    assert Faults().matches_page("snmp", "Networking", "SNMP")
    assert not f.matches_page(f.http500_page, "Security", "Certificates")


@pytest.mark.parametrize("kw", [{"mode": "mars"}, {"version": "99.9"}, {"count": 0}, {"pair": True, "count": 3},
                                {"pair": True, "mode": "cloud"}, {"drop_setting": "everything"}, {"nsb_size": 1},
                                {"report_namespace": "acme"}, {"empty_listing": "maybe"}, {"report_language": "de"},
                                {"recording_framing": "gzip"}, {"recording_size": 1}, {"sessions_per_day": -1},
                                {"cert_binding": "anywhere"}, {"peers_differ": True}])
def test_bad_options(kw: dict) -> None:
    with pytest.raises(ValueError):
        SimOptions(**kw)


def test_two_nics_never_share_a_mac() -> None:
    """The drawn MACs differ on every start (eth1 once drew eth0's, 1 start in 256, and the skin comparison then
    read eth0's MAC as eth1's)."""
    import random

    from fixtures.seed_data import appliance_data

    for i in range(2000):
        nics = appliance_data(0, "bt1.example.test", lambda *a, **k: "CANARY", random.Random(i))["net"]["nics"]
        macs = [n["mac"] for n in nics]
        assert len(set(macs)) == len(macs), (i, macs)
