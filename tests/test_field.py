"""Field recordings: every checked-in recording replays offline to its expected records; the secret sweep over
recordings finds nothing, and catches a recording made without sanitizing; bad recordings get exit 2."""
from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest

import captools
import fieldtools
import simhelpers
from capture.recording_check import check
from capture.recording_index import recordings, size
from capture.sanitize import Sanitizer
from fixtures import SimOptions, Simulator
from flows.base import Labels
from test_cli import bt, one_line

CASES = fieldtools.cases()


def test_every_kind_of_field_recording_is_there() -> None:
    names = {c.name for c in CASES}
    assert {"classic-23.3", "classic-24.1", "classic-25.1", "pair-25.1"} <= names, names
    assert any(n.startswith("skin-") for n in names), names


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_field_recording_replays_offline_to_its_records(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No simulator runs here, and the recorded host names resolve nowhere: whatever the replay reads came from
    the recording. It must read exactly what the live capture of the same pages read."""
    simhelpers.require_tool(simhelpers.CHROMIUM)
    for folder in recordings(case):
        host = json.loads((folder / "index.json").read_text())["appliance"]["urls"]["login"].split("/")[2].split(":")[0]
        with pytest.raises(OSError):
            socket.getaddrinfo(host, 443)
    want = json.loads((case / fieldtools.EXPECTED).read_text())
    got = fieldtools.replay_records(case, tmp_path / "out")
    assert set(got) == set(want)
    for name in want:
        assert not fieldtools.differences(want[name], got[name]), (name, fieldtools.differences(want[name], got[name]))
        assert all(p["status"] == "ok" for p in got[name]["pages"].values())
    for manifest in (tmp_path / "out").rglob("manifest.json"):
        snap = json.loads(manifest.read_text())
        assert not snap["artifacts"]
        assert {f["error"] for f in snap["failures"]} <= {"not in the recording (a recording keeps no downloaded "
                                                          "or exported file)"}
        assert not [line for line in snap["log"] if "no answer for" in line], snap["log"]


def test_canary_sweep_over_every_recording_finds_nothing() -> None:
    """Every simulator secret starts with CANARY: no byte of a recording, nor its expected records, may hold one;
    and `record --check` finds nothing to remove. Sizes are printed for the report."""
    assert CASES
    for case in CASES:
        texts = {p: p.read_bytes().decode(errors="replace") for p in case.rglob("*") if p.is_file()}
        assert not captools.text_leaks(texts, []), case
        assert not captools.full_sweep(case, [], None, images=False), case
        for folder in recordings(case):
            res = check(folder, not_secret=Labels.load().not_secret)
            assert not res.findings, (folder, res.findings)
            print(f"{case.name}/{folder.name}: {size(folder) // 1024} KiB")


@pytest.mark.xdist_group("field-live")
def test_record_replay_matches_live_and_the_sweep_catches_an_unsanitized_recording(tmp_path: Path) -> None:
    with Simulator(SimOptions()) as sim:
        live, env = fieldtools.record_live(sim, tmp_path / "clean")
        raw, _ = fieldtools.record_live(sim, tmp_path / "raw", sanitize=False)
        secrets = captools.secrets_of(sim, env)
    rec, dirty = tmp_path / "clean" / "rec", tmp_path / "raw" / "rec"
    # Record and replay: the same records as the live capture of the same state.
    got = fieldtools.replay_records(rec, tmp_path / "replay")
    want = fieldtools.records(live.results[0].snapshot)
    assert not fieldtools.differences(want, got["bt1"])
    # The sanitized recording holds no secret; the unsanitized one is caught by both sweeps.
    assert not captools.full_sweep(rec, secrets, None, images=False)
    assert captools.full_sweep(dirty, secrets, None, images=False)
    p = bt(["record", "--check", str(rec)])
    assert p.returncode == 0, p.stdout + p.stderr
    p = bt(["record", "--check", str(dirty)])
    assert p.returncode == 1 and "secret input value" in p.stdout and "recorded without sanitizing" in p.stdout
    assert not any(s in p.stdout + p.stderr for s in secrets)
    # What was removed is reported by kind and place, never by value.
    report = (rec / "bt1" / "sanitization.json").read_text()
    kinds = {r["what"] for r in json.loads(report)["removed"]}
    assert {"hidden input value", "secret input value"} <= kinds, kinds
    assert not any(s in report for s in secrets)
    # No cookie, no Authorization header, no downloaded byte.
    rows = json.loads((rec / "bt1" / "exchanges.json").read_text())
    assert not [r for r in rows if set(r["headers"]) & {"set-cookie", "cookie", "authorization"}]
    # The form posts that downloaded the .p12, NSB and Vault key kept no body (bt-capture streamed the files
    # itself; a browser download would be kept as size and headers only).
    posts = [r for r in rows if r["method"] == "POST"]
    assert len(posts) >= 4 and all(r["body"] is None for r in posts), posts
    assert all(r["body"] is None for r in rows if r.get("download"))
    # The static pages open without scripts, every file 0600 in 0700 folders.
    assert all("<script" not in p.read_text().lower() for p in (rec / "bt1" / "pages").glob("*.html"))
    assert not captools.modes(rec)


def test_bad_recordings_get_one_line_and_exit_2(tmp_path: Path) -> None:
    src = CASES[0]
    one = recordings(src)[0]
    p = bt(["replay", str(tmp_path / "missing")])
    assert p.returncode == 2 and one_line(p).startswith("bt-capture: ") and "no such recording" in p.stderr
    tampered = tmp_path / "tampered"
    shutil.copytree(one, tampered)
    body = next((tampered / "bodies").glob("*.html"))
    body.write_text(body.read_text().replace("</body>", "<p>edited</p></body>"))
    for args in (["replay", str(tampered)], ["record", "--check", str(tampered)]):
        p = bt(args)
        assert p.returncode == 2 and "does not match its index" in p.stderr and "Traceback" not in p.stderr, p.stderr
    future = tmp_path / "future"
    shutil.copytree(one, future)
    idx = json.loads((future / "index.json").read_text())
    idx["tool_version"] = "99.0.0"
    (future / "index.json").write_text(json.dumps(idx))
    p = bt(["replay", str(future)])
    assert p.returncode == 2 and "recorded by bt-capture 99.0.0" in p.stderr and len(p.stderr.splitlines()) == 1


def test_sanitizer_rules_and_idempotence() -> None:
    san = Sanitizer(extra=["CANARYKnown123"], not_secret=[r".*\b(lifetime|history)\b.*"])
    html = ('<input type="password" name="pw" value="hunter22"><input type=hidden name=csrf value=abc123>'
            '<input name="snmp.community" value="public-ish"><input type="number" name="password_lifetime" value="90">'
            '<meta name="csrf-token" content="tok999"><a href="/x?session_id=s1&page=2">CANARYKnown123</a>'
            '<script>var cfg = {"api_token": "t0k3n", "count": "5"};</script>'
            '{"html": "<input type=\\"text\\" name=\\"snmp.community\\" value=\\"inJson77\\">"}')
    out = san.text(html, "page", html=True)
    for gone in ("hunter22", "abc123", "public-ish", "tok999", "s1&", "CANARYKnown123", "t0k3n", "inJson77"):
        assert gone not in out, gone
    assert 'value="90"' in out and "page=2" in out and '"count": "5"' in out
    again = Sanitizer(extra=["CANARYKnown123"], not_secret=[r".*\b(lifetime|history)\b.*"])
    assert again.text(out, "page", html=True) == out and not again.report()
    assert {r["what"] for r in san.report()} >= {"secret input value", "hidden input value", "token in a URL",
                                                 "secret-named input value", "token in a meta tag",
                                                 "a value the capture knows is secret"}
    assert not re.search(r"hunter|abc123", json.dumps(san.report()))
