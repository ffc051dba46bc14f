"""PKCS#12 verification on real files: cryptography- and openssl-made, good and broken."""
from __future__ import annotations

import os
import shutil
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from capture.certpath import hostname_matches
from capture.verify import compare_p12_leaves, verify_p12
from gen_pki import NOW, make_chain, new_key, openssl_p12, write_p12

PW = b"correct horse 7!"
SITE = "support.example.test"
APPS = ["bt1.example.test", "bt2.example.test"]
SANS = [SITE, *APPS, "192.0.2.10"]


def _check(v, name):
    return next(c for c in v.checks if c.name == name)


def _verify(path, pw=PW, **kw):
    kw.setdefault("site_hostname", SITE)
    kw.setdefault("appliance_hostnames", APPS)
    return verify_p12(path, pw, **kw)


def _assert_no_secret(v):
    assert PW.decode() not in v.model_dump_json()


@pytest.fixture(scope="module")
def rsa_chain():
    return make_chain("rsa", sans=SANS)


@pytest.fixture(scope="module")
def openssl_bin():
    if not shutil.which("openssl"):
        if os.environ.get("CI"):
            pytest.fail("openssl is missing (CI must have it)")
        pytest.skip("openssl missing")
    return "openssl"


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_good_chain_passes_with_details(tmp_path, kind):
    c = make_chain(kind, sans=SANS)
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.root, c.intermediate], PW)  # root first: order-free
    v = _verify(p, presented_sha256=c.leaf.fingerprint(hashes.SHA256()).hex().upper())
    assert v.verdict == "pass", v.checks
    d = v.details
    assert d["subject"].startswith("CN=support.example.test")
    assert d["sans_dns"] == [SITE, *APPS] and d["sans_ip"] == ["192.0.2.10"]
    assert [e["subject"].split(",")[0] for e in d["chain"]] == [
        "CN=support.example.test", "CN=Test Intermediate CA", "CN=Test Root CA"]
    assert d["sha256"] == c.leaf.fingerprint(hashes.SHA256()).hex()
    assert len(d["sha1"]) == 40 and len(d["spki_sha256"]) == 64
    assert d["key"]["type"] == ("RSA" if kind == "rsa" else "EC")
    assert d["p12_encryption"]["family"] == "aes"
    assert 300 < d["days_left"] <= 365
    assert "every signature verifies" in _check(v, "chain").detail
    _assert_no_secret(v)


@pytest.mark.parametrize("mode,family", [("default", "aes"), ("legacy", "legacy"), ("3des", "legacy")])
def test_openssl_made_files_load(tmp_path, openssl_bin, rsa_chain, mode, family):
    p = openssl_p12(tmp_path, rsa_chain, PW, mode, mode=mode)
    v = _verify(p)
    assert v.verdict == "pass", v.checks
    enc = v.details["p12_encryption"]
    assert enc["family"] == family
    if mode == "3des":
        assert enc == {"key": "PBE-SHA1-3DES", "certs": "PBE-SHA1-3DES", "mac": "SHA-1", "family": "legacy"}
    if mode == "legacy":
        assert enc["certs"] == "PBE-SHA1-RC2-40" and "legacy" in _check(v, "encryption").detail


def test_cryptography_legacy_3des(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "l.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW, legacy=True)
    v = _verify(p)
    assert v.verdict == "pass" and v.details["p12_encryption"]["key"] == "PBE-SHA1-3DES"


def test_wrong_passphrase_is_a_clear_fail(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW)
    v = _verify(p, pw=b"not the passphrase")
    assert v.verdict == "fail"
    assert "passphrase does not open" in _check(v, "open").detail
    assert v.details["p12_encryption"]["family"] == "aes"  # readable without the passphrase
    assert "not the passphrase" not in v.model_dump_json()


def test_truncated_file(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW)
    p.write_bytes(p.read_bytes()[:1500])
    v = _verify(p)
    assert v.verdict == "fail"
    assert "truncated" in _check(v, "open").detail and "1500 bytes" in _check(v, "open").detail


def test_html_saved_as_p12(tmp_path):
    p = tmp_path / "a.p12"
    p.write_bytes(b"<!DOCTYPE html><html><title>Login</title></html>")
    v = _verify(p)
    assert v.verdict == "fail" and "does not start like a PKCS#12" in _check(v, "open").detail


def test_key_not_matching_leaf(tmp_path, rsa_chain):
    c = rsa_chain
    data = pkcs12.serialize_key_and_certificates(  # cryptography refuses a mismatched pair, so no `cert`
        b"x", new_key("rsa"), None, [c.leaf, c.intermediate, c.root], serialization.BestAvailableEncryption(PW))
    p = tmp_path / "m.p12"
    p.write_bytes(data)
    v = _verify(p)
    assert v.verdict == "fail"
    assert "does not match" in _check(v, "private key").detail
    assert v.details["subject"].startswith("CN=support.example.test")  # the leaf is still identified


def test_no_private_key(tmp_path, rsa_chain):
    c = rsa_chain
    data = pkcs12.serialize_key_and_certificates(
        b"x", None, c.leaf, [c.intermediate, c.root], serialization.BestAvailableEncryption(PW))
    p = tmp_path / "k.p12"
    p.write_bytes(data)
    v = _verify(p)
    assert v.verdict == "fail" and "Include Private Key" in _check(v, "private key").detail


def test_missing_chain(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [], PW)
    v = _verify(p)
    assert v.verdict == "fail"
    d = _check(v, "chain").detail
    assert "issuer CN=Test Intermediate CA" in d and "is not in the file" in d
    assert "Include Certificate Chain" in d


def test_root_missing(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate], PW)
    v = _verify(p)
    d = _check(v, "chain").detail
    assert v.verdict == "fail" and "issuer CN=Test Root CA" in d and "is not in the file" in d


def test_intermediate_signed_by_another_root(tmp_path, rsa_chain):
    other = make_chain("rsa", sans=SANS)  # same names, different keys: the signature must be checked
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate, other.root], PW)
    v = _verify(p)
    assert v.verdict == "fail" and "signature does not verify" in _check(v, "chain").detail


def test_self_signed_leaf_is_its_own_root(tmp_path):
    from gen_pki import make_cert
    k = new_key("ec")
    cert = make_cert(SITE, k, SITE, k, ca=False, sans=SANS)
    v = _verify(write_p12(tmp_path / "s.p12", k, cert, [], PW))
    assert v.verdict == "pass", v.checks
    assert "self-signed" in _check(v, "chain").detail


def test_expired_leaf(tmp_path):
    c = make_chain("ec", sans=SANS, leaf_not_before=NOW - timedelta(days=400),
                   leaf_not_after=NOW - timedelta(days=5))
    v = _verify(write_p12(tmp_path / "e.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW))
    assert v.verdict == "fail"
    assert "expired 5 days ago" in _check(v, "validity").detail or "expired 6 days ago" in _check(v, "validity").detail


def test_not_yet_valid_leaf(tmp_path):
    c = make_chain("rsa", sans=SANS, leaf_not_before=NOW + timedelta(days=2))
    v = _verify(write_p12(tmp_path / "f.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW))
    assert v.verdict == "fail" and "not valid yet" in _check(v, "validity").detail


def test_expiring_in_30_days_warns(tmp_path):
    c = make_chain("rsa", sans=SANS, leaf_not_after=NOW + timedelta(days=30, hours=1))
    v = _verify(write_p12(tmp_path / "w.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW))
    assert v.verdict == "warn"
    assert _check(v, "validity").status == "warn" and "expires in 30 days" in _check(v, "validity").detail
    assert v.details["days_left"] == 30


def test_san_mismatch(tmp_path):
    c = make_chain("rsa", sans=[SITE, "bt1.example.test"])
    v = _verify(write_p12(tmp_path / "n.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW))
    assert v.verdict == "fail"
    d = _check(v, "hostnames").detail
    assert "do not cover bt2.example.test" in d and "bt1.example.test" not in d.split("cover")[-1]


def test_wildcard_san_covers_appliances(tmp_path):
    c = make_chain("rsa", sans=["*.example.test"])
    v = _verify(write_p12(tmp_path / "w.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW))
    assert _check(v, "hostnames").status == "pass"


def test_presented_certificate_differs(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW)
    v = _verify(p, presented_sha256="ab" * 32)
    assert v.verdict == "fail" and "another certificate" in _check(v, "presented certificate").detail


def test_missing_file(tmp_path):
    v = _verify(tmp_path / "nope.p12")
    assert v.verdict == "fail" and "cannot read" in _check(v, "open").detail


@pytest.mark.parametrize("pattern,host,ok", [
    ("support.example.test", "SUPPORT.example.test.", True),
    ("*.example.test", "bt1.example.test", True),
    ("*.example.test", "example.test", False),
    ("*.example.test", "a.bt1.example.test", False),
    ("bt*.example.test", "bt1.example.test", False),
    ("*.test", "example.test", False),
    ("*.example.test", "192.0.2.1", False),
    ("a.*.example.test", "a.b.example.test", False),
])
def test_rfc6125_matching(pattern, host, ok):
    assert hostname_matches(pattern, host) is ok


def test_compare_peers(tmp_path, rsa_chain):
    c = rsa_chain
    a = _verify(write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW))
    b = _verify(write_p12(tmp_path / "b.p12", c.leaf_key, c.leaf, [c.root, c.intermediate], PW, legacy=True))
    assert compare_p12_leaves(a, b).status == "pass"
    d = make_chain("rsa", sans=SANS)
    other = _verify(write_p12(tmp_path / "d.p12", d.leaf_key, d.leaf, [d.intermediate, d.root], PW))
    item = compare_p12_leaves(a, other)
    assert item.status == "fail" and "different certificates" in item.detail
    bad = _verify(tmp_path / "a.p12", pw=b"wrong")
    assert compare_p12_leaves(a, bad).status == "not_checked"


def test_no_passphrase_given(tmp_path, rsa_chain):
    c = rsa_chain
    p = write_p12(tmp_path / "a.p12", c.leaf_key, c.leaf, [c.intermediate, c.root], PW)
    v = _verify(p, pw=b"")
    assert v.verdict == "fail" and "no passphrase was given" in _check(v, "open").detail


def test_file_without_passphrase_warns(tmp_path, rsa_chain):
    c = rsa_chain
    p = tmp_path / "open.p12"
    p.write_bytes(pkcs12.serialize_key_and_certificates(b"x", c.leaf_key, c.leaf, [c.intermediate, c.root],
                                                        serialization.NoEncryption()))
    v = _verify(p, pw=b"")
    assert v.verdict == "warn" and "anyone holding it" in _check(v, "open").detail
