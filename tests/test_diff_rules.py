"""The diff's rules on hand-made manifests: keys, aliases, tables, classes, rules files, failover health, pixels, exit codes."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from capture.errors import ConfigError
from capture.records import Field, PageRecord, Section, Snapshot, Table
from flows.diffrules import DiffRules
from reports import diff_failover, visual
from reports.cli_diff import diff_cmd
from reports.diff import compare
from reports.diff_flatten import snap_view

pytestmark = pytest.mark.xdist_group("diff")


def page(flow: str, *sections: Section, title: str = "", interface: str = "appliance") -> PageRecord:
    return PageRecord(flow=flow, interface=interface, title=title or flow, sections=list(sections))  # type: ignore[arg-type]


def sec(title: str, *fields: tuple[str, str] | Field, tables: list[Table] | None = None) -> Section:
    fs = [f if isinstance(f, Field) else Field(label=f[0], value=f[1]) for f in fields]
    return Section(title=title, fields=fs, tables=tables or [])


def snap(label: str, host: str, serial: str, *pages: PageRecord, **kw: Any) -> Snapshot:
    return Snapshot(name=f"{host}_{serial}", label=label, appliance_hostname=host, pages=list(pages),
                    identity={"hostname": host, "serial_number": serial}, **kw)


def nic_v23(mac1: str = "00:50:56:00:00:02") -> PageRecord:
    return page("appliance.networking.ip_configuration", sec(
        "Networking :: NIC Configuration", ("Interface", "eth0"), ("MAC Address", "00:50:56:00:00:01"),
        ("Link Detected", "Yes"), ("Interface", "eth1"), ("MAC Address", mac1), ("Link Detected", "No")))


def nic_v25(mac1: str = "00:50:56:00:00:02") -> PageRecord:
    return page("appliance.networking.ip_configuration",
                sec("eth0", ("Interface", "eth0"), ("MAC Address", "00:50:56:00:00:01"), ("Link Detected", "Yes")),
                sec("eth1", ("Interface", "eth1"), ("MAC Address", mac1), ("Link Detected", "No")))


def test_repeated_labels_are_keyed_by_their_block_in_both_markups() -> None:
    a = snap("x", "bt1.example.test", "S1", nic_v23())
    b = snap("x", "bt1.example.test", "S1", nic_v25(mac1="00:50:56:00:00:99"))
    r = compare(a, b, mode="peers")
    assert [(d.section, d.label, d.a, d.b) for d in r.differences] == [
        ("eth1", "MAC Address", "00:50:56:00:00:02", "00:50:56:00:00:99")]
    assert compare(snap("x", "h", "S", nic_v25()), snap("y", "i", "T", nic_v23()), mode="peers").differences == []


def test_relabelled_sections_and_fields_match_across_versions() -> None:
    v23 = page("appliance.security.ssl_tls", sec("Security > SSL/TLS Configuration",
                                                 Field(label="SSL/TLS Configuration", value="Choose", kind="static")),
               sec("Security :: SSL/TLS Configuration", ("TLSv1.2", "on"), ("TLSv1.3", "on")),
               sec("Security :: Cipher Suites", tables=[Table(headers=["", "Cipher Suite"], rows=[["off", "A"]])]))
    v25 = page("appliance.security.ssl_tls", sec("Security > TLS Configuration",
                                                 Field(label="TLS Configuration", value="Choose TLS", kind="static")),
               sec("Security :: TLS Configuration", ("TLSv1.2", "On"), ("TLSv1.3", "yes")),
               sec("Security :: Cipher Suites", tables=[Table(headers=["Select", "Cipher Suite"], rows=[["on", "A"]])]))
    r = compare(snap("a", "h1", "S1", v23), snap("b", "h2", "S2", v25), mode="peers")
    assert r.differences == []


def test_tables_by_key_column_with_the_order_compared_once() -> None:
    def ciphers(rows: list[list[str]]) -> PageRecord:
        return page("appliance.security.ssl_tls", sec("Security :: Cipher Suites", tables=[
            Table(headers=["Order", "Enabled", "Cipher Suite", "Move"], rows=rows)]))
    a = ciphers([["1", "on", "A", ""], ["2", "on", "B", ""], ["3", "off", "C", ""]])
    b = ciphers([["1", "on", "B", ""], ["2", "on", "A", ""], ["3", "on", "D", ""]])
    r = compare(snap("a", "h1", "S1", a), snap("b", "h2", "S2", b), mode="peers")
    got = {(d.change, d.label): (d.a, d.b) for d in r.differences}
    assert set(got) == {("removed", "C"), ("added", "D"), ("order", "Order of rows")}
    assert got[("order", "Order of rows")] == ("A, B", "B, A")
    assert all(d.cls == "must_match" for d in r.differences)


def test_secrets_compare_as_set_or_not_and_own_names_are_expected() -> None:
    def email(user: str, pw_set: bool, relay: str = "smtp.example.test") -> PageRecord:
        return page("appliance.security.email_configuration", sec(
            "Security :: Email Configuration", ("SMTP Relay Server", relay), ("SMTP Username", user),
            Field(label="SMTP Password", value="[redacted]", kind="password", secret=True, is_set=pw_set)))
    a = snap("bt1", "bt1.example.test", "S1", email("bt1-mailer@example.test", True))
    b = snap("bt2", "bt2.example.test", "S2", email("bt2-mailer@example.test", False, "smtp2.example.test"))
    r = compare(a, b, mode="peers")
    by = {d.label: d for d in r.differences}
    assert (by["SMTP Password"].a, by["SMTP Password"].b, by["SMTP Password"].cls) == ("set", "not set", "must_match")
    assert by["SMTP Username"].cls == "expected" and "own name" in by["SMTP Username"].why
    assert by["SMTP Relay Server"].cls == "must_match"
    assert "[redacted]" not in json.dumps(r.to_dict())


def test_rules_file_extends_and_overrides(tmp_path: Path) -> None:
    snmp = lambda loc: page("appliance.networking.snmp", sec("Networking :: SNMPv2", ("System Location", loc),  # noqa: E731
                                                             ("IP Restrictions", "10.0.0.0/8")))
    a, b = snap("a", "h1", "S1", snmp("DC1")), snap("b", "h2", "S2", snmp("DC2"))
    assert compare(a, b, mode="peers").must_match == []
    rules = tmp_path / "rules.toml"
    rules.write_text('[flows."appliance.networking.*"]\nmust_match = ["System Location"]\n')
    r = compare(a, b, mode="peers", rules=DiffRules.load(rules))
    assert [(d.label, d.why) for d in r.must_match] == [("System Location", "rules file: must_match 'System Location'")]
    rules.write_text('[flows."appliance.networking.snmp"]\ndiff = "volatile"\n')
    assert compare(a, b, mode="peers", rules=DiffRules.load(rules)).of("volatile")[0].label == "System Location"
    for bad, msg in [('[flows."x"]\ncolour = 1\n', "unknown key"), ('[flows."x"]\ndiff = "maybe"\n', "diff must be"),
                     ('[flows."x"]\nexpected = ["("]\n', "bad pattern"), ("[nope]\n", "unknown table"), ("= x", "TOML")]:
        rules.write_text(bad)
        with pytest.raises(ConfigError, match=msg):
            DiffRules.load(rules)
    with pytest.raises(ConfigError, match="not found"):
        DiffRules.load(tmp_path / "missing.toml")


def test_upgrade_flags_dropped_and_reset_settings_only() -> None:
    def admin(syslog: str, agreement: str, extra: bool) -> PageRecord:
        fields = [("Remote Syslog Server", syslog), ("Require Prerequisite Login Agreement", agreement)]
        if extra:
            fields += [("Agreement Title", "Authorized"), ("Backup File", "")]
        return page("appliance.security.appliance_administration", sec("Security :: Syslog", *fields))
    info = lambda v: page("login.status.information", sec("Status :: Information", ("Product Version", v)))  # noqa: E731
    t0, t1 = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 2, 1, tzinfo=timezone.utc)
    before = snap("bt1", "bt1.example.test", "S1", admin("syslog1", "on", True), info("23.3.2"), started_at=t0)
    after = snap("bt1", "bt1.example.test", "S1", admin("", "off", False), info("25.1.2"), started_at=t1)
    r = compare(before, after)
    assert r.mode == "upgrade"
    dropped = {d.label for d in r.must_match if d.change == "dropped"}
    assert dropped == {"Remote Syslog Server", "Require Prerequisite Login Agreement", "Agreement Title"}
    assert {d.label for d in r.of("expected")} == {"Product Version", "Backup File"}
    assert r.verdict == "3 must-match fields differ (3 dropped by the upgrade)"


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

    def pair(ra: str, rb: str, ops: str, last: str) -> dict[str, Any]:
        pa, pb = _failover(ra, rb, "on", last), _failover(rb, ra, ops, last)
        for p in (pa, pb):
            p.captured_at = now
        return diff_failover.health(snap_view(snap("a", "a", "1", pa)), snap_view(snap("b", "b", "2", pb)), "a", "b")

    ok = pair("Primary", "Backup", "on", "2026-11-26 10:00:00 UTC")
    assert ok["warnings"] == [] and ok["last_sync_age_seconds"] == 7200 and ok["backup"] == "b"
    bad = pair("Backup", "Backup", "off", "2026-11-26 06:00:00 UTC")
    text = " | ".join(bad["warnings"])
    assert "both peers claim the backup role" in text
    assert "backup operations are disabled on the backup" in text
    assert "6 h 0 min old, longer than the Automatic Data-Sync Interval allows (Every 4 hours)" in text
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
    (good / "manifest.json").write_text(snap("a", "h", "S", nic_v25()).model_dump_json())
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
