"""`bt-capture diff` on real simulator captures: a consistent pair, drift, an upgrade dropping syslog, a missing page."""
from __future__ import annotations

import json
import subprocess
import sys
from html import unescape as html_unescape
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

import simhelpers
from capture.app import RunOutcome
from capture.records import Snapshot
from reports import binder, binder_scan, context, diff_output, view, visual
from reports import diff as rdiff
from reports.cli_diff import diff_cmd

pytestmark = pytest.mark.xdist_group("diff")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from diff_cases import capture_sim  # noqa: E402


def _subprocess_case(case: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(ROOT / "bench" / "diff_cases.py"), case, str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The four captures at once: drift, upgrade and broken in their own processes (own secrets), the pair in here."""
    simhelpers.require_tool(simhelpers.CHROMIUM)
    root = tmp_path_factory.mktemp("diff")
    procs = {c: _subprocess_case(c, root / c) for c in ("drift", "upgrade", "broken")}
    try:
        with pytest.MonkeyPatch.context() as mp:
            pair, env, outcome = capture_sim(dict(pair=True, peers_differ=True), root / "pair",
                                             setenv=lambda e: [mp.setenv(k, v) for k, v in e.items()])
        out: dict[str, Any] = {"pair": pair, "pair_env": env, "pair_outcome": outcome, "root": root}
        for case, p in procs.items():
            stdout, stderr = p.communicate(timeout=400)
            assert p.returncode == 0, f"{case} capture failed: {stderr[-2000:]}"
            out[case] = [Path(line) for line in stdout.split()]
        yield out
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()


def _must(result: rdiff.DiffResult) -> dict[str, rdiff.Difference]:
    return {d.path: d for d in result.must_match}


def test_pair_that_differs_by_design_is_consistent(cases: dict[str, Any]) -> None:
    """Different models, own certificate bindings, own syslog and email servers: exit 0, listed, not failed."""
    result, _, _ = rdiff.compare_folders(*cases["pair"])
    assert result.mode == "peers"
    assert result.verdict == "the peers are consistent"
    assert result.must_match == [], [d.to_dict() for d in result.must_match]
    review = {d.path: d for d in result.of("review")}
    for want in ("identity.model", "administration.syslog.servers", "administration.agreement.title", "email.relay",
                 "email.recipients", "snmp.location"):
        assert want in review, want
    assert review["identity.model"].a == "B400" and review["identity.model"].b == "B300"
    assert any(p.startswith("administration.restrictions[") for p in review)
    expected = {d.path for d in result.of("expected")}
    for want in ("identity.hostname", "identity.serial_number", "network.hostname",
                 "network.nics[eth0].addresses[10.20.30.41]",  # bt1's own address: only on bt1
                 "network.nics[eth0].addresses[10.20.30.42]", "network.nics[eth0].addresses[10.20.30.40]",
                 "routes[172.16.8.0 / 255.255.252.0 (/22)].gateway",
                 "certificates.installed[support.example.test].ips",  # each appliance binds it to its own addresses
                 "login.failover.role", "login.failover.peer_role"):
        assert want in expected, want
    volatile = {d.path for d in result.of("volatile")}
    assert "identity.uptime" in volatile
    # Each peer checked its partner 17 s before its own page was read: equal when both pages fell in the same
    # second, so it is only never anything but volatile.
    for cat in ("must_match", "review", "expected"):
        assert "login.failover.last_status_check" not in {d.path for d in result.of(cat)}, cat
    # As behind NAT: bt-capture connects to a loopback address that is neither the appliance's own (its IP
    # Configuration page) nor in the certificate's binding; the certificate is chosen by the own addresses.
    for folder, own in zip(cases["pair"], ("10.20.30.41", "10.20.30.42"), strict=True):
        m = json.loads((folder / "manifest.json").read_text())
        site = m["settings"]["certificates"]["site"]
        assert site["name"] == "support.example.test" and site["decided_by"] == "export"
        assert own in site["own_addresses"] and not [a for a in site["own_addresses"] if a.startswith("127.")]
        [check] = [c for c in site["candidates"][0]["checks"] if c["name"].startswith("bound")]
        assert check["passed"] is True and own in check["detail"]
        assert [a for a in m["artifacts"] if a["kind"] == "p12"][0]["verification"]["verdict"] == "pass"
    fo = result.failover
    assert fo["roles"] == {"bt1": "primary", "bt2": "backup"}
    assert fo["backup"] == "bt2" and fo["backup_operations"] is True
    assert fo["last_sync_status"] == "Success" and fo["sync_interval_seconds"] == 4 * 3600
    assert 0 < fo["last_sync_age_seconds"] < 4 * 3600
    assert fo["warnings"] == [] and fo["ok"]


def test_capture_run_writes_the_peer_diff_and_no_secret_reaches_it(cases: dict[str, Any]) -> None:
    diffs = cases["pair_outcome"].diffs
    assert len(diffs) == 1
    d = diffs[0]
    assert (d["a"], d["b"], d["mode"], d["must_match"]) == ("bt1", "bt2", "peers", 0)
    assert d["verdict"] == "the peers are consistent" and d["differences"] == []
    assert d["failover"]["roles"] == {"bt1": "primary", "bt2": "backup"}
    folder = Path(d["html"]).parent
    assert folder.name == "diff_bt1__bt2"
    for key in ("html", "json", "pdf"):
        assert Path(d[key]).is_file() and Path(d[key]).stat().st_mode & 0o077 == 0, key
    assert folder.stat().st_mode & 0o077 == 0
    html = Path(d["html"]).read_text()
    assert "The peers are consistent" in html and "Failover health" in html
    images = json.loads(Path(d["json"]).read_text())["visual"]
    shown = [v for v in images if v["regions"]]
    assert shown and all((folder / v["overlay"]).is_file() and v["overlay"] in html for v in shown)
    pdf_text = subprocess.run(["pdftotext", "-layout", d["pdf"], "-"], capture_output=True, text=True,
                              check=True).stdout
    assert "The peers are consistent" in pdf_text and "Expected to differ" in pdf_text
    blobs = [Path(d["json"]).read_bytes(), html.encode(), pdf_text.encode()]
    for name, secret in cases["pair_env"].items():
        assert not any(secret.encode() in b for b in blobs), f"{name} leaked into the diff"


def test_drift_flags_exactly_the_certificate_and_the_cipher_set_and_order(cases: dict[str, Any]) -> None:
    a, b = cases["drift"]
    result, va, vb = rdiff.compare_folders(a, b)
    must = _must(result)
    cipher = {f"tls.ciphers[{name}].enabled": (old, new) for name, old, new in [
        ("TLS_CHACHA20_POLY1305_SHA256", "on", "off"), ("ECDHE-RSA-CHACHA20-POLY1305", "on", "off"),
        ("AES256-SHA256", "off", "on"), ("AES128-SHA", "off", "on")]}
    for key, (old, new) in cipher.items():
        assert (must[key].a, must[key].b) == (old, new), key
    order = must["tls.ciphers(order)"]
    assert order.change == "order" and order.label == "Cipher Suite" or order.path == "tls.ciphers(order)"
    assert order.a.startswith("TLS_AES_256_GCM_SHA384, TLS_CHACHA20") and order.b.startswith("AES256-GCM-SHA384, ")
    pa = Snapshot.model_validate_json((a / "manifest.json").read_text()).artifact("p12").verification.details
    pb = Snapshot.model_validate_json((b / "manifest.json").read_text()).artifact("p12").verification.details
    leaf = {"certificates.exported.sha256": "sha256", "certificates.exported.sha1": "sha1",
            "certificates.exported.spki_sha256": "spki_sha256", "certificates.exported.serial": "serial"}
    for path, key in leaf.items():
        d = must[path]
        assert (d.a, d.b) == (pa[key], pb[key]) and d.a != d.b, path
    assert must["certificates.presented.sha256"].b == pb["sha256"]
    assert must["certificates.exported.chain[1].sha256"].b == pb["sha256"]
    # Nothing else: the validity dates may or may not differ by the second the second key was made.
    allowed = set(cipher) | {"tls.ciphers(order)", "certificates.presented.sha256",
                             "certificates.exported.chain[1].sha256"} | set(leaf) | {
        "certificates.exported.not_before", "certificates.exported.not_after", "certificates.presented.not_after",
        "certificates.exported.chain[1].not_after"}
    assert set(must) <= allowed, sorted(set(must) - allowed)
    assert len(result.must_match) == len(must)  # no path flagged twice
    assert result.comparable, (result.not_compared, result.failed_steps)
    assert result.verdict == f"{len(must)} must-match fields differ"


def test_cli_exit_codes_and_json_on_drift(cases: dict[str, Any], tmp_path: Path) -> None:
    a, b = cases["drift"]
    run = CliRunner().invoke(diff_cmd, [str(a), str(b), "-o", str(tmp_path), "--json", "--no-pdf", "--no-visual"])
    assert run.exit_code == 1, run.output
    data = json.loads(run.output)
    assert data["mode"] == "peers" and data["must_match"] == len(data["differences"]) >= 5
    assert all(d["class"] == "must_match" for d in data["differences"])
    assert Path(data["json"]).is_file() and Path(data["html"]).is_file() and data["pdf"] == ""
    text = CliRunner().invoke(diff_cmd, [str(a), str(b), "-o", str(tmp_path), "--no-pdf", "--no-visual"])
    assert text.exit_code == 1 and "must-match fields differ" in text.output
    assert "TLS_CHACHA20_POLY1305_SHA256 / enabled: 'on' → 'off'" in text.output
    ok = CliRunner().invoke(diff_cmd, [*map(str, cases["pair"]), "-o", str(tmp_path), "--no-pdf", "--no-visual"])
    assert ok.exit_code == 0 and "verdict: the peers are consistent" in ok.output


def test_upgrade_reports_the_dropped_syslog_not_the_version_change(cases: dict[str, Any]) -> None:
    before, after = cases["upgrade"]
    for order in ((before, after), (after, before)):  # either order: the earlier snapshot is "before"
        result, va, _ = rdiff.compare_folders(*order)
        assert result.mode == "upgrade" and "bt1.example.test" in result.mode_reason
        assert va.snapshot.product_version == "23.3.2"
        dropped = [d for d in result.must_match if d.change == "dropped"]
        assert [(d.path, d.flow, d.section, d.label) for d in dropped] == [
            ("administration.syslog.servers", "appliance.security.appliance_administration", "Syslog",
             "Remote Syslog Server")]
        assert dropped[0].a == "syslog1.example.test, 10.20.40.15" and dropped[0].b == ""
    versions = {"identity.appliance_version", "identity.base_software_version", "login.software.product_version",
                "login.software.product_build", "login.software.api_version"}
    flagged = {d.path for d in result.must_match}
    assert not versions & flagged
    assert versions <= {d.path for d in result.of("expected")}
    # 23.3 says "SSL/TLS Configuration" and draws rows; 25.1 says "TLS Configuration" and draws dl lists;
    # one NIC section with repeated labels became one section per NIC. None of that is a difference.
    for flow in ("appliance.security.ssl_tls", "appliance.networking.ip_configuration", "appliance.status.basics"):
        moved = [d.to_dict() for d in result.differences if d.flow == flow and d.change in ("added", "removed")]
        assert moved == [], moved
    assert not [d for d in result.differences if d.flow == "appliance.security.ssl_tls"]
    assert not [d for d in result.must_match if d.change in ("added", "removed")]
    assert result.failover["checked"] is False
    assert result.comparable, (result.not_compared, result.failed_steps)  # every page on both sides


def test_visual_diff_boxes_real_changes_and_leaves_out_volatile_values(cases: dict[str, Any], tmp_path: Path) -> None:
    simhelpers.require_tool("tesseract")
    from capture.ocr import ocr_many

    flow = "appliance.status.basics"
    result, va, vb = rdiff.compare_folders(*cases["pair"])
    shots = [v.folder / v.snapshot.page(flow).screenshot for v in (va, vb)]
    for v, out in zip((va, vb), ocr_many(shots), strict=True):
        assert out.error is None, out.error
        (v.folder / "ocr").mkdir(exist_ok=True)
        (v.folder / "ocr" / f"{v.name}__{flow}.words.json").write_text(json.dumps(out.words))
    rows = {r["flow"]: r for r in diff_output.visuals(result, va, vb, tmp_path)}
    row = rows[flow]
    assert row["ocr"] and row["overlay"] and row["image_a"] and row["image_b"]
    words_b = visual.load_words(next((vb.folder / "ocr").glob(f"*{flow}.words.json")))

    def boxes(v: Any, label: str) -> list[tuple[int, int, int, int]]:
        words = visual.load_words(next((v.folder / "ocr").glob(f"*{flow}.words.json")))
        return visual.value_boxes(words, [v.snapshot.page(flow).value([label])])

    def hit(box: tuple[int, int, int, int]) -> bool:
        return any(r[0] < box[2] and r[2] > box[0] and r[1] < box[3] and r[3] > box[1] for r in row["regions"])

    assert words_b
    for label in ("Model", "Hostname"):
        found = boxes(vb, label)
        assert found and any(hit(b) for b in found), label  # a real difference is boxed
    for label in ("System Time", "Uptime"):
        found = boxes(va, label) + boxes(vb, label)
        assert found and not any(hit(b) for b in found), label  # a volatile one is not
    assert row["ignored_cells"] > 0
    # Pages whose only difference is a masked secret or nothing at all show no boxes.
    assert rows["login.management.security"]["regions"] == []


def test_pages_missing_on_both_sides_are_named_and_never_called_consistent(cases: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    """Both peers answered 500 on SNMP: nothing that was compared differs, yet the pair is not proven consistent."""
    a, b = cases["broken"]
    run = CliRunner().invoke(diff_cmd, [str(a), str(b), "-o", str(tmp_path), "--json", "--no-visual"])
    assert run.exit_code == 1, run.output
    data = json.loads(run.output)
    assert data["must_match"] == 0 and data["comparable"] is False
    assert data["not_compared"] == {"Networking > SNMP": ["bt1", "bt2"]}
    assert data["failed_steps"] == {"bt1": ["appliance.networking.snmp"], "bt2": ["appliance.networking.snmp"]}
    assert "consistent" not in data["verdict"]
    assert data["verdict"].startswith("not comparable: 1 of ") and "on bt1 and bt2: Networking > SNMP" in data["verdict"]
    assert "failed steps: 1 on bt1 (appliance.networking.snmp), 1 on bt2 (appliance.networking.snmp)" in data["verdict"]
    html = Path(data["html"]).read_text()
    assert "not compared in full" in html and "The peers are consistent" not in html
    pdf_text = subprocess.run(["pdftotext", "-layout", data["pdf"], "-"], capture_output=True, text=True,
                              check=True).stdout
    assert "Not comparable" in pdf_text and "consistent" not in pdf_text.replace("\n", " ").split("Must match")[0]
    text = CliRunner().invoke(diff_cmd, [str(a), str(b), "-o", str(tmp_path), "--no-pdf", "--no-visual"])
    assert text.exit_code == 1 and "verdict: not comparable" in text.output, text.output
    # The binder and the dossier say so too, from the same summary the run hands them.
    index = binder.render_html(binder_scan.scan(tmp_path, [a, b], [Path(data["html"]).parent]), tmp_path).read_text()
    assert "0, not comparable" in index and data["verdict"] in html_unescape(index)
    snap = rdiff.load_snapshot(a)
    peer = view.peer(a, snap, [data])
    assert peer is not None and not peer.comparable
    alert = [w for w in context.warnings(snap, False, peer) if "failover peer" in w["text"]]
    assert [w["level"] for w in alert] == ["warn"] and "not comparable" in alert[0]["text"]
    outcome = RunOutcome(results=[], diffs=[data])
    assert outcome.exit_code == 1


def test_a_page_missing_on_one_side_is_named_beside_the_differences(cases: dict[str, Any], tmp_path: Path) -> None:
    """bt1 of the sound pair against bt2 of the broken pair: the missing page is named with its side."""
    result, _, _ = rdiff.compare_folders(cases["pair"][0], cases["broken"][1], mode="peers")
    assert not result.comparable
    assert result.not_compared == {"Networking > SNMP": ["bt2"]}
    assert result.failed_steps == {"bt1": [], "bt2": ["appliance.networking.snmp"]}
    row = next(p for p in result.pages if p["flow"] == "appliance.networking.snmp")
    assert (row["a"], row["b"], row["compared"]) == ("ok", "failed", 0)
    # Two simulators made two certificates: real differences, and the gap named after them.
    assert result.must_match and result.verdict.startswith(f"{len(result.must_match)} must-match field")
    assert result.verdict.endswith(f"not comparable: 1 of {len(result.pages)} pages not captured (on bt2: Networking > SNMP); "
                                   "failed steps: 1 on bt2 (appliance.networking.snmp)"), result.verdict


def test_two_snapshots_without_pages_are_not_consistent() -> None:
    """A capture that stopped before its first page (and so has nothing to disagree about) proves nothing."""
    a = Snapshot(name="a", label="bt1", appliance_hostname="bt1.example.test")
    b = Snapshot(name="b", label="bt2", appliance_hostname="bt2.example.test")
    result = rdiff.compare(a, b)
    assert (result.mode, result.comparable) == ("peers", False)
    assert result.verdict == "not comparable: neither snapshot holds a page"


def test_model_boxes_show_what_differs_without_ocr(cases: dict[str, Any], tmp_path: Path) -> None:
    """The settings model knows where each value stands: a real difference is boxed, a clock is not, no OCR needed."""
    flow = "appliance.status.basics"
    result, va, vb = rdiff.compare_folders(*cases["pair"])
    for v in (va, vb):  # no OCR word boxes at all
        for p in (v.folder / "ocr").glob("*.words.json") if (v.folder / "ocr").is_dir() else []:
            p.unlink()
    row = {r["flow"]: r for r in diff_output.visuals(result, va, vb, tmp_path)}[flow]
    by = {d.path: d for d in result.differences}

    def hit(box: tuple[int, int, int, int]) -> bool:
        x, y, w, h = box
        return any(r[0] < x + w and r[2] > x and r[1] < y + h and r[3] > y for r in row["regions"])
    assert by["identity.model"].box_b and hit(by["identity.model"].box_b)
    for path in ("identity.system_time", "identity.uptime"):
        assert by[path].cls == "volatile" and by[path].box_b and not hit(by[path].box_b), path
