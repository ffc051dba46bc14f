"""Test data: certificate chains and PKCS#12 files generated at test time (never committed)."""
from __future__ import annotations

import ipaddress
import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def new_key(kind: str = "rsa"):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject_cn: str, key, issuer_cn: str, issuer_key, *, ca: bool, sans: list[str] = (),
              not_before: datetime | None = None, not_after: datetime | None = None) -> x509.Certificate:
    nb = not_before or NOW - timedelta(days=30)
    na = not_after or NOW + timedelta(days=365)
    b = (x509.CertificateBuilder().subject_name(_name(subject_cn)).issuer_name(_name(issuer_cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        names: list[x509.GeneralName] = []
        for s in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(s)))
            except ValueError:
                names.append(x509.DNSName(s))
        b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


@dataclass
class Chain:
    leaf: x509.Certificate
    leaf_key: object
    intermediate: x509.Certificate
    root: x509.Certificate
    extra: dict = field(default_factory=dict)


def make_chain(kind: str = "rsa", sans: list[str] = ("support.example.test",),
               leaf_not_before: datetime | None = None, leaf_not_after: datetime | None = None,
               ca_kind: str | None = None) -> Chain:
    """root (self-signed) → intermediate → leaf, with the leaf key of `kind` ('rsa' or 'ec')."""
    ck = ca_kind or kind
    root_key, int_key, leaf_key = new_key(ck), new_key(ck), new_key(kind)
    root = make_cert("Test Root CA", root_key, "Test Root CA", root_key, ca=True,
                     not_after=NOW + timedelta(days=3650))
    inter = make_cert("Test Intermediate CA", int_key, "Test Root CA", root_key, ca=True,
                      not_after=NOW + timedelta(days=1825))
    leaf = make_cert(sans[0] if sans else "leaf", leaf_key, "Test Intermediate CA", int_key, ca=False,
                     sans=list(sans), not_before=leaf_not_before, not_after=leaf_not_after)
    return Chain(leaf, leaf_key, inter, root)


def write_p12(path: Path, key, cert, cas: list[x509.Certificate], passphrase: bytes,
              legacy: bool = False) -> Path:
    if legacy:  # what older tools write: PBE-SHA1-3DES with a SHA-1 MAC
        enc = (serialization.PrivateFormat.PKCS12.encryption_builder()
               .kdf_rounds(2048).key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
               .hmac_hash(hashes.SHA1()).build(passphrase))
    else:
        enc = serialization.BestAvailableEncryption(passphrase)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"appliance", key, cert, cas, enc))
    path.chmod(0o600)
    return path


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def openssl_p12(tmp: Path, chain: Chain, passphrase: bytes, name: str, *, mode: str = "default") -> Path:
    """`openssl pkcs12 -export` with the passphrase passed through the environment (never argv).

    mode: default (AES-256/PBKDF2), legacy (-legacy: RC2-40 certs, 3DES key),
    3des (-certpbe/-keypbe PBE-SHA1-3DES -macalg sha1)."""
    key = _pem(tmp / f"{name}.key", chain.leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    crt = _pem(tmp / f"{name}.crt", chain.leaf.public_bytes(serialization.Encoding.PEM))
    cas = _pem(tmp / f"{name}-ca.crt", chain.intermediate.public_bytes(serialization.Encoding.PEM)
               + chain.root.public_bytes(serialization.Encoding.PEM))
    out = tmp / f"{name}.p12"
    argv = ["openssl", "pkcs12", "-export", "-inkey", str(key), "-in", str(crt), "-certfile", str(cas),
            "-name", "appliance", "-out", str(out), "-passout", "env:BT_TEST_P12_PASS"]
    if mode == "legacy":
        argv.append("-legacy")
    elif mode == "3des":
        argv += ["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"]
    env = dict(os.environ, BT_TEST_P12_PASS=passphrase.decode())
    subprocess.run(argv, env=env, check=True, capture_output=True)
    for p in (key, crt, cas):
        p.unlink()
    return out
