"""NSB and vault key checks, error-body sniffing, streamed hashing, offline snapshot re-verification."""
from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from capture import records
from capture.verify import sha256_file, sniff_error_body, verify_nsb, verify_snapshot, verify_vault_key
from gen_pki import make_chain, write_p12

PW = b"p12 pass phrase"


def _blob(path: Path, size: int = 40_000, seed: bytes = b"nsb") -> Path:
    """An opaque binary backup: a made-up magic header and pseudo-random bytes."""
    out, block = bytearray(b"NSB\x00\x02"), seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    path.write_bytes(bytes(out[:size]))
    path.chmod(0o600)
    return path


def _check(v, name):
    return next(c for c in v.checks if c.name == name)


@pytest.mark.parametrize("body,expect", [
    (b"<!DOCTYPE html>\n<html><head><title>Log In</title></head><body>...</body></html>", 'HTML page titled "Log In"'),
    (b"  \n<html><body>Session expired</body></html>", "HTML page"),
    (b'<?xml version="1.0"?>\n<error>Login failed</error>', 'XML error body ("Login failed")'),
    (b"<error>Invalid credentials</error>", 'XML error body ("Invalid credentials")'),
    (b'<?xml version="1.0"?><backup_status><state>queued</state></backup_status>', "an XML document"),
    (b'{"error": "invalid_client"}', 'JSON error body ("invalid_client")'),
    (b'{"error": {"code": 403, "message": "missing permission"}}', "JSON error body"),
    (b'{"status": "ok", "items": []}', "a JSON document"),
    (b"Invalid credentials", 'short text message ("Invalid credentials")'),
    (b"ERROR\n", "short text message"),
    (b"https://x/api/backup?password=hunter2 denied", "[redacted]"),
    (b"", "empty"),
    (b"\n\n  ", "only whitespace"),
])
def test_error_bodies_are_recognised(body, expect):
    reason = sniff_error_body(body)
    assert reason is not None and expect in reason, reason
    assert "hunter2" not in reason


@pytest.mark.parametrize("body", [
    bytes(range(256)) * 8,                      # binary
    b"PK\x03\x04" + bytes(2000),                # an archive
    b"q2VxZk1vT0ZqN3dYb2xXb1p0c2h5dGJ2d3k=",   # base64 key text: no spaces, not a message
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB...\n-----END ENCRYPTED PRIVATE KEY-----\n",
    b"<" + bytes(range(1, 255)) * 4,            # binary that happens to start with '<'
    b"{" + bytes(range(128, 256)) * 4,          # binary that happens to start with '{'
])
def test_real_content_is_not_an_error(body):
    assert sniff_error_body(body) is None


def test_sha256_file_streams(tmp_path):
    p = _blob(tmp_path / "big.nsb", size=(3 << 20) + 17)
    assert sha256_file(p) == hashlib.sha256(p.read_bytes()).hexdigest()


def test_good_nsb(tmp_path):
    p = _blob(tmp_path / "site.nsb")
    v = verify_nsb(p, include_history=True, password_protected=True)
    assert v.verdict == "pass", v.checks
    assert v.details["size"] == 40_000 and v.details["sha256"] == sha256_file(p)
    assert "includes logged session data" in _check(v, "logged history").detail
    assert _check(v, "backup password").status == "pass"


def test_nsb_without_password_warns_and_history_unknown(tmp_path):
    v = verify_nsb(_blob(tmp_path / "site.nsb"), include_history=None, password_protected=False)
    assert v.verdict == "warn"
    assert _check(v, "logged history").status == "not_checked"
    assert "no backup password" in _check(v, "backup password").detail


@pytest.mark.parametrize("body,expect", [
    (b"<!DOCTYPE html><html><head><title>BeyondTrust Login</title></head></html>" + b" " * 3000, "HTML page"),
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<error>Login failed</error>\n', "XML error body"),
    (b'{"error":"invalid_token","error_description":"The access token expired"}', "JSON error body"),
    (b"Invalid credentials", "short text message"),
])
def test_error_body_saved_as_nsb(tmp_path, body, expect):
    p = tmp_path / "site.nsb"
    p.write_bytes(body)
    v = verify_nsb(p, include_history=False, password_protected=True)
    assert v.verdict == "fail"
    d = _check(v, "not an error page").detail
    assert d.startswith("the site backup is ") and expect in d
    assert v.details["size"] == len(body)


def test_zero_byte_nsb(tmp_path):
    p = tmp_path / "site.nsb"
    p.write_bytes(b"")
    v = verify_nsb(p, include_history=False, password_protected=True)
    assert v.verdict == "fail" and "empty (0 bytes)" in _check(v, "not empty").detail


def test_missing_nsb(tmp_path):
    v = verify_nsb(tmp_path / "nope.nsb", include_history=False, password_protected=True)
    assert v.verdict == "fail" and "does not exist" in _check(v, "present").detail


def test_nsb_two_routes(tmp_path):
    ui = _blob(tmp_path / "ui.nsb", 40_000, b"a")
    api = _blob(tmp_path / "api.nsb", 41_000, b"b")
    same = tmp_path / "same.nsb"
    same.write_bytes(ui.read_bytes())
    v = verify_nsb(ui, include_history=True, password_protected=True, other=api)
    c = _check(v, "UI and API copies")
    assert v.verdict == "pass" and "differ" in c.detail and "40,000 vs 41,000 bytes" in c.detail
    assert v.details["identical"] is False and v.details["other_size"] == 41_000
    v = verify_nsb(ui, include_history=True, password_protected=True, other=same)
    assert "identical" in _check(v, "UI and API copies").detail and v.details["identical"] is True
    v = verify_nsb(ui, include_history=True, password_protected=True, other=tmp_path / "gone.nsb")
    assert v.verdict == "warn" and "missing" in _check(v, "UI and API copies").detail


def test_vault_key(tmp_path):
    p = _blob(tmp_path / "vault.key", 512, b"v")
    assert verify_vault_key(p, password_protected=True).verdict == "pass"
    v = verify_vault_key(p, password_protected=False)
    assert v.verdict == "fail" and "must be password protected" in _check(v, "password").detail
    empty = tmp_path / "empty.key"
    empty.write_bytes(b"")
    v = verify_vault_key(empty, password_protected=True)
    assert v.verdict == "fail" and "empty" in _check(v, "not empty").detail
    err = tmp_path / "err.key"
    err.write_bytes(b"<html><title>Access denied</title></html>")
    v = verify_vault_key(err, password_protected=True)
    assert v.verdict == "fail" and "Vault encryption key is an HTML page" in _check(v, "not an error page").detail


# --- offline snapshot re-verification -------------------------------------------------------

SITE = "support.example.test"


def _snapshot(folder: Path) -> records.Snapshot:
    folder.mkdir(mode=0o700)
    now = datetime.now(timezone.utc)
    c = make_chain("ec", sans=[SITE, "bt1.example.test"])
    files = {
        "nsb-ui": _blob(folder / "site-ui.nsb", 30_000, b"u"),
        "nsb-api": _blob(folder / "site-api.nsb", 30_500, b"i"),
        "vault": _blob(folder / "vault.key", 256, b"k"),
        "p12": write_p12(folder / "cert.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW),
    }
    shot = folder / "shots" / "appliance.status.basics.png"
    shot.parent.mkdir()
    shot.write_bytes(b"\x89PNG\r\n\x1a\nnot really")

    def art(kind, key, obtained, **opts):
        p = files[key]
        return records.Artifact(kind=kind, path=p.name, size=p.stat().st_size, sha256=sha256_file(p),
                                obtained=obtained, created_at=now, options=opts)
    snap = records.Snapshot(
        name=folder.name, site_hostname=SITE, appliance_hostname="bt1.example.test",
        artifacts=[art("nsb", "nsb-ui", "ui", include_history=True, password_protected=True),
                   art("nsb", "nsb-api", "api", include_history=True, password_protected=True),
                   art("vault_key", "vault", "ui", password_protected=True),
                   art("p12", "p12", "ui")],
        pages=[records.PageRecord(flow="appliance.status.basics", interface="appliance", title="Basics",
                                  screenshot="shots/appliance.status.basics.png",
                                  screenshot_sha256=sha256_file(shot))])
    (folder / "manifest.json").write_text(snap.model_dump_json(indent=1))
    return snap


def _asker(value):
    asked = []

    def secrets(name):
        asked.append(name)
        return value
    return secrets, asked


def test_snapshot_ok(tmp_path):
    _snapshot(tmp_path / "snap")
    secrets, asked = _asker(PW)
    snap, results = verify_snapshot(tmp_path / "snap", secrets)
    assert snap.site_hostname == SITE
    bad = [r for r in results if r.status in ("fail", "warn")]
    assert not bad, bad
    assert asked == ["p12_passphrase"]
    names = [r.name for r in results]
    assert "p12 (ui) cert.p12 chain" in names and "nsb (ui) site-ui.nsb UI and API copies" in names
    assert "screenshot appliance.status.basics" in names


def test_snapshot_without_passphrase_still_hashes(tmp_path):
    _snapshot(tmp_path / "snap")
    secrets, asked = _asker(None)
    _, results = verify_snapshot(tmp_path / "snap", secrets)
    by = {r.name: r for r in results}
    assert by["p12 (ui) cert.p12"].status == "pass"
    assert by["p12 (ui) cert.p12 content"].status == "not_checked"
    assert not [r for r in results if r.status == "fail"]


def test_snapshot_hash_mismatch_and_missing(tmp_path):
    folder = tmp_path / "snap"
    _snapshot(folder)
    data = bytearray((folder / "site-ui.nsb").read_bytes())
    data[100] ^= 0xFF  # one flipped byte, same size
    (folder / "site-ui.nsb").write_bytes(bytes(data))
    (folder / "vault.key").unlink()
    (folder / "cert.p12").write_bytes((folder / "cert.p12").read_bytes()[:-1])
    secrets, asked = _asker(PW)
    _, results = verify_snapshot(folder, secrets)
    by = {r.name: r for r in results}
    nsb = by["nsb (ui) site-ui.nsb"]
    assert nsb.status == "fail" and "differs from the manifest" in nsb.detail
    assert by["vault_key (ui) vault.key"].status == "fail" and "missing" in by["vault_key (ui) vault.key"].detail
    assert by["p12 (ui) cert.p12"].status == "fail"
    assert asked == []  # a damaged p12 is not worth asking the passphrase for
    assert by["nsb (api) site-api.nsb"].status == "pass"


def test_snapshot_screenshot_changed_and_permissions(tmp_path):
    folder = tmp_path / "snap"
    _snapshot(folder)
    (folder / "shots" / "appliance.status.basics.png").write_bytes(b"edited")
    os.chmod(folder / "site-api.nsb", 0o644)
    _, results = verify_snapshot(folder, lambda name: PW)
    by = {r.name: r for r in results}
    assert by["screenshot appliance.status.basics"].status == "fail"
    assert by["nsb (api) site-api.nsb permissions"].status == "warn"


def test_snapshot_path_escape_and_bad_manifest(tmp_path):
    folder = tmp_path / "snap"
    snap = _snapshot(folder)
    snap.artifacts[2].path = "../outside.key"
    (folder / "manifest.json").write_text(snap.model_dump_json())
    _, results = verify_snapshot(folder, lambda name: PW)
    assert any(r.status == "fail" and "outside the snapshot" in r.detail for r in results)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid manifest"):
        verify_snapshot(folder, lambda name: PW)
    with pytest.raises(ValueError, match="no manifest.json"):
        verify_snapshot(tmp_path, lambda name: PW)
