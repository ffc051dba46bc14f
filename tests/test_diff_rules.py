"""The diff on hand-made manifests: classes per model path, peers that differ by design, drift, rules files, upgrades."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from capture.errors import ConfigError
from capture.records import Field, PageRecord, Snapshot, TlsInfo
from flows.diffrules import DiffRules
from modelhelpers import CIPHERS, p12, page, peer, sec, snap
from reports import diff_failover, visual
from reports.cli_diff import diff_cmd
from reports.diff import compare

pytestmark = pytest.mark.xdist_group("diff")


def pair(a: dict[str, Any] | None = None, b: dict[str, Any] | None = None, **kw: Any) -> tuple[Snapshot, Snapshot]:
    sa = snap("bt1", "bt1.example.test", "SN1", *peer(1, **(a or {})), **kw)
    sb = snap("bt2", "bt2.example.test", "SN2", *peer(2, role="Backup", **(b or {})), **kw)
    return sa, sb


def by_path(r: Any, cls: str | None = None) -> dict[str, Any]:
    return {d.path: d for d in r.differences if cls is None or d.cls == cls}


def test_a_healthy_pair_that_differs_in_every_per_appliance_setting_is_consistent(tmp_path: Path) -> None:
    """Different models, base software, gateways, addresses, routes, syslog and email servers, SNMP locations,
    agreements, restrictions, certificate IP bindings and roles: nothing failover must keep equal."""
    a, b = pair(dict(model="B400", base="7.1.1 (rev. 52390)", syslog="syslog1.dc1.test", relay="smtp.dc1.test",
                     location="DC1", agreement=True, lockout="5", gateway="10.20.30.1", route_gw="10.20.30.254"),
                dict(model="B300", base="7.1.0 (rev. 51000)", syslog="syslog1.dc2.test", relay="smtp.dc2.test",
                     location="DC2", agreement=False, lockout="3", gateway="10.40.30.1", route_gw="10.40.30.254",
                     own_ip="10.40.30.42"))
    r = compare(a, b, mode="peers")
    assert r.must_match == [], [d.to_dict() for d in r.must_match]
    assert r.verdict == "the peers are consistent"
    review, expected = by_path(r, "review"), by_path(r, "expected")
    for path in ("identity.model", "identity.base_software_version", "administration.syslog.servers",
                 "email.relay", "email.username", "email.sender", "snmp.location", "administration.agreement.enabled"):
        assert path in review, path
    assert any(p.startswith("administration.restrictions[") for p in review)
    for path in ("identity.hostname", "identity.serial_number", "network.hostname", "network.gateway4",
                 "network.nics[eth0].mac", "network.nics[eth0].addresses[10.20.30.41]",
                 "network.nics[eth0].addresses[10.40.30.42]", "routes[10.50.0.0 / 255.255.0.0 (/16)].gateway",
                 "certificates.installed[support.example.test].ips", "login.failover.role"):
        assert path in expected, path
    volatile = by_path(r, "volatile")
    assert {"identity.system_time", "identity.uptime", "login.failover.last_sync"} <= set(volatile)
    # Listed by the label the page showed, with where it was read.
    d = review["administration.syslog.servers"]
    assert (d.flow, d.section, d.label) == ("appliance.security.appliance_administration", "Syslog",
                                           "Remote Syslog Server")
    for side, s in (("a", a), ("b", b)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "manifest.json").write_text(s.model_dump_json())
    run = CliRunner().invoke(diff_cmd, [str(tmp_path / "a"), str(tmp_path / "b"), "--no-pdf", "--no-visual", "--json",
                                        "-o", str(tmp_path)])
    assert run.exit_code == 0, run.output
    out = json.loads(run.output)
    assert out["must_match"] == 0 and out["review"] == len(review) and out["expected"] == len(expected)


def test_cipher_set_drift_flags_exactly_the_ciphers() -> None:
    drifted = [(c, c in ("TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "AES128-SHA")) for c in CIPHERS]
    r = compare(*pair(b=dict(ciphers=drifted)), mode="peers")
    must = by_path(r, "must_match")
    assert set(must) == {"tls.ciphers[TLS_CHACHA20_POLY1305_SHA256].enabled", "tls.ciphers[AES128-SHA].enabled"}
    assert (must["tls.ciphers[AES128-SHA].enabled"].a, must["tls.ciphers[AES128-SHA].enabled"].b) == ("off", "on")


def test_cipher_order_drift_flags_exactly_the_order() -> None:
    on = [(c, c != "AES128-SHA") for c in CIPHERS]
    moved = [on[2], on[0], on[1], on[3]]
    r = compare(*pair(b=dict(ciphers=moved)), mode="peers")
    assert [(d.path, d.change) for d in r.must_match] == [("tls.ciphers(order)", "order")]
    d = r.must_match[0]
    assert d.a.startswith("TLS_AES_256_GCM_SHA384, TLS_CHACHA20") and d.b.startswith("ECDHE-RSA-AES256-GCM-SHA384, ")
    # A disabled suite moving is not a change of what clients are offered.
    off_moved = [on[3], on[0], on[1], on[2]]
    assert compare(*pair(b=dict(ciphers=off_moved)), mode="peers").must_match == []


def test_certificate_drift_flags_exactly_the_certificate(tmp_path: Path) -> None:
    tls = lambda sha: [TlsInfo(host="h", port=443, trust="ca", sha256=sha, spki_sha256="x")]  # noqa: E731
    a, b = pair()
    a.artifacts, a.tls = [p12("aa" * 32, "01")], tls("aa" * 32)
    b.artifacts, b.tls = [p12("ee" * 32, "02")], tls("ee" * 32)
    r = compare(a, b, mode="peers")
    must = by_path(r, "must_match")
    assert set(must) == {"certificates.exported.sha256", "certificates.exported.sha1", "certificates.exported.serial",
                         "certificates.exported.chain[1].sha256", "certificates.presented.sha256"}
    assert must["certificates.exported.sha256"].label == "SHA-256 fingerprint"
    b.artifacts, b.tls = [p12("aa" * 32, "01")], tls("aa" * 32)
    b._settings = None
    assert compare(a, b, mode="peers").must_match == []
    # Which certificate is the site certificate must match too; how each appliance found it need not.
    c = snap("bt3", "bt3.example.test", "SN3", *peer(1, cert_ips=["10.9.9.9"]))
    other = snap("bt4", "bt4.example.test", "SN4", *[p if p.flow != "appliance.security.certificates" else page(
        p.flow, sec("Security :: Other Certificates", tables=[p.sections[0].tables[0].model_copy(update={"rows": [
            p.sections[0].tables[0].rows[1], p.sections[0].tables[0].rows[0]]})])) for p in peer(2)])
    r = compare(c, other, mode="peers")
    assert all(not d.path.startswith("certificates.site.") or d.path == "certificates.site.name" for d in r.must_match)


def test_protocols_and_synced_login_values_must_match() -> None:
    r = compare(*pair(b=dict(protocols=(True, False), company="Other Corp", psk=False)), mode="peers")
    must = by_path(r, "must_match")
    assert set(must) == {"tls.protocols[TLSv1.3].enabled", "other[login.status.information / company name]",
                         "login.preshared_key"}
    assert (must["login.preshared_key"].a, must["login.preshared_key"].b) == ("set", "not set")
    assert "[redacted]" not in json.dumps(r.to_dict())


def test_version_and_markup_do_not_differ() -> None:
    """23.3 draws one NIC section with its address table, 25.1 one section per NIC; "SSL/TLS" became "TLS"."""
    a = snap("x", "bt1.example.test", "SN1", *peer(1, v23=True))
    b = snap("y", "bt9.example.test", "SN9", *peer(1))
    r = compare(a, b, mode="peers")
    assert [d.path for d in r.differences if d.cls != "volatile"] == []


def test_rules_file_moves_a_field_between_classes(tmp_path: Path) -> None:
    a, b = pair(b=dict(location="DC2"))
    assert "snmp.location" in by_path(compare(a, b, mode="peers"), "review")
    rules = tmp_path / "rules.toml"
    rules.write_text('[classes]\n"snmp.location" = "must_match"\n"identity.model" = "volatile"\n')
    r = compare(a, b, mode="peers", rules=DiffRules.load(rules))
    assert [(d.path, d.why) for d in r.must_match] == [("snmp.location", "rules file: 'snmp.location' is must_match")]
    rules.write_text('[classes]\n"snmp.*" = "expected"\n')
    assert "snmp.location" in by_path(compare(a, b, mode="peers", rules=DiffRules.load(rules)), "expected")
    for bad, msg in [('[flows."x"]\nexpected = ["a"]\n', "per settings-model path"),
                     ('[classes]\n"x" = "maybe"\n', "must be one of"), ("[nope]\n", "unknown table"), ("= x", "TOML")]:
        rules.write_text(bad)
        with pytest.raises(ConfigError, match=msg):
            DiffRules.load(rules)
    with pytest.raises(ConfigError, match="not found"):
        DiffRules.load(tmp_path / "missing.toml")


def test_upgrade_flags_dropped_and_reset_settings_only() -> None:
    t0, t1 = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 2, 1, tzinfo=timezone.utc)
    before = snap("bt1", "bt1.example.test", "SN1", *peer(1, product="23.3.2", v23=True), started_at=t0)
    after = snap("bt1", "bt1.example.test", "SN1", *peer(1, product="25.1.2", syslog="", agreement=False,
                                                         base="7.2.0 (rev. 1)"), started_at=t1)
    r = compare(before, after)
    assert r.mode == "upgrade"
    dropped = {d.path for d in r.must_match if d.change == "dropped"}
    assert dropped == {"administration.syslog.servers", "administration.agreement.enabled"}
    assert {"login.software.product_version", "login.software.product_build", "identity.base_software_version"} <= \
        set(by_path(r, "expected"))
    assert r.verdict == "2 must-match fields differ (2 dropped by the upgrade)"


def _failover(role: str, peer_role: str, ops: str, last: str, interval: str = "Every 4 hours") -> PageRecord:
    return page("login.management.failover",
                sec("Failover :: This Host's Status", ("Hostname", "h"), ("Role", f"{role} Site Instance")),
                sec("Failover :: Peer Host's Status", ("Role", f"{peer_role} Site Instance"),
                    ("Last Status Check", last)),
                sec("Failover :: Backup Settings", Field(label="Enable Backup Operations", value=ops, kind="checkbox"),
                    Field(label="Automatic Data-Sync Interval", value=interval, kind="select")),
                sec("Failover :: Backup Site Instance Status", ("Last Data Sync Time", last),
                    ("Last Data Sync Status", "Success")), interface="login")


def test_failover_health_warnings() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

    def health(ra: str, rb: str, ops: str, last: str) -> dict[str, Any]:
        pa, pb = _failover(ra, rb, "on", last), _failover(rb, ra, ops, last)
        for p in (pa, pb):
            p.captured_at = now
        return diff_failover.health(snap("a", "a", "1", pa), snap("b", "b", "2", pb), "a", "b")

    ok = health("Primary", "Backup", "on", "2026-11-26 10:00:00 UTC")
    assert ok["warnings"] == [] and ok["last_sync_age_seconds"] == 7200 and ok["backup"] == "b"
    assert ok["peers"]["a"]["peer_status"] == "Backup Site Instance"
    bad = health("Backup", "Backup", "off", "2026-11-26 06:00:00 UTC")
    text = " | ".join(bad["warnings"])
    assert "both peers claim the backup role" in text
    assert "backup operations are disabled on the backup" in text
    assert "6 h 0 min old, longer than the automatic sync interval allows (Every 4 hours)" in text
    assert [diff_failover.interval_seconds(t) for t in ("Every 30 minutes", "Every 4 hours", "Daily", "Never")] == [
        1800, 14400, 86400, None]


def test_pixels_rows_aligned_masks_and_volatile_boxes_left_out() -> None:
    def shot(extra_row: bool, mask_w: int, clock: str) -> Image.Image:
        img = Image.new("RGB", (400, 300 + (30 if extra_row else 0)), "white")
        d = ImageDraw.Draw(img)
        y = 20
        for text in ["Hostname bt1", "Role primary"] + (["Shared IP 10.0.0.1"] if extra_row else []) + ["Model B400"]:
            d.text((20, y), text, fill="black")
            y += 30
        d.rectangle((200, 200, 200 + mask_w, 215), fill="#FF00FF")  # a masked secret, longer on one side
        d.text((20, 260 + (30 if extra_row else 0)), clock, fill="black")
        return img
    a, b = shot(True, 80, "12:00:01"), shot(False, 120, "12:00:09")
    clock_a, clock_b = (18, 288, 80, 302), (18, 258, 80, 272)
    _, _, regions, ignored = visual.diff_images(a, b, [clock_a], [clock_b])
    assert ignored > 0
    assert len(regions) == 1 and 70 <= regions[0][1] <= 90  # only the inserted row, not everything below it
    _, _, regions, _ = visual.diff_images(a, b)
    assert len(regions) == 2  # without the volatile boxes the clock counts too; the mask never does
    words = [{"text": "12:00:01", "left": 20, "top": 290, "width": 50, "height": 10}]
    assert visual.value_boxes(words, ["12:00:01"]) == [(20, 290, 70, 300)]


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    # One page: a snapshot without any page is not comparable at all, not even with itself (exit 1).
    (good / "manifest.json").write_text(snap("a", "h", "S", *peer(1)).model_dump_json())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"pages": "nope"}')
    for args in ([str(good), str(tmp_path / "missing")], [str(good), str(tmp_path)], [str(broken), str(good)],
                 [str(good), str(good), "--rules", str(tmp_path / "none.toml")]):
        run = CliRunner().invoke(diff_cmd, args)
        assert run.exit_code == 2, (args, run.output)
        assert run.output.count("\n") == 1 and "Traceback" not in run.output and run.output.startswith("bt-capture: ")
    run = CliRunner().invoke(diff_cmd, [str(good), str(good), "--no-pdf", "-o", str(tmp_path)])
    assert run.exit_code == 0, run.output


def test_newer_manifests_and_models_are_refused_in_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "manifest.json").write_text(snap("a", "h", "S").model_dump_json())
    for name, patch, msg in [("newer", {"schema_version": 99}, "written by a newer bt-capture"),
                             ("model", {"settings": {"schema_version": 99}}, "newer than this bt-capture reads")]:
        folder = tmp_path / name
        folder.mkdir()
        data = json.loads(snap("b", "i", "T").model_dump_json()) | patch
        (folder / "manifest.json").write_text(json.dumps(data))
        run = CliRunner().invoke(diff_cmd, [str(good), str(folder)])
        assert run.exit_code == 2 and msg in run.output and run.output.count("\n") == 1, run.output
