"""X.509 facts for certificate backups: RFC 6125 name matching, path building by signature, key info."""
from __future__ import annotations

import ipaddress
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa


def key_info(key: Any) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return {"type": "RSA", "size": key.key_size}
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return {"type": "EC", "size": key.curve.key_size, "curve": key.curve.name}
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return {"type": "Ed25519", "size": 256}
    if isinstance(key, ed448.Ed448PublicKey | ed448.Ed448PrivateKey):
        return {"type": "Ed448", "size": 456}
    if isinstance(key, dsa.DSAPublicKey | dsa.DSAPrivateKey):
        return {"type": "DSA", "size": key.key_size}
    return {"type": type(key).__name__, "size": None}


def sans(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return ext.get_values_for_type(x509.DNSName), [str(i) for i in ext.get_values_for_type(x509.IPAddress)]


def _ascii_host(name: str) -> str:
    name = name.strip().rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def hostname_matches(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4: exact match, or '*' as the whole left-most label standing for exactly one label.

    No partial-label wildcards (f*.example.com), none below a registered-looking name (*.com),
    none for IP addresses."""
    p, h = _ascii_host(pattern), _ascii_host(host)
    if "*" not in p:
        return p == h
    labels = p.split(".")
    if labels[0] != "*" or "*" in ".".join(labels[1:]) or len(labels) < 3:
        return False
    try:
        ipaddress.ip_address(h)
        return False
    except ValueError:
        pass
    hl = h.split(".")
    return len(hl) == len(labels) and hl[0] != "" and hl[1:] == labels[1:]


def san_covers(dns: list[str], ips: list[str], host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip().strip("[]"))
        return any(ipaddress.ip_address(i) == ip for i in ips)
    except ValueError:
        return any(hostname_matches(d, host) for d in dns)


def is_ca(cert: x509.Certificate) -> bool | None:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return None  # old v1 roots carry no extensions


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> str | None:
    """None when `issuer` signed `cert`, else why not."""
    try:
        cert.verify_directly_issued_by(issuer)
        return None
    except ValueError:
        return "issuer name does not match"
    except InvalidSignature:
        return "signature does not verify"
    except TypeError as e:
        return f"unsupported signature: {e}"


def self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and issued_by(cert, cert) is None


def build_path(leaf: x509.Certificate, pool: list[x509.Certificate]) -> tuple[list[x509.Certificate], str | None]:
    """Leaf → … → self-signed root by issuer name and signature, whatever order the bags had."""
    path = [leaf]
    while not self_signed(path[-1]):
        cur = path[-1]
        named = [c for c in pool if c.subject == cur.issuer and all(c is not p for p in path)]
        good = [c for c in named if issued_by(cur, c) is None]
        if not good:
            who = cur.issuer.rfc4514_string()
            if named:
                return path, f"the certificate named {who} is in the file but its {issued_by(cur, named[0])}"
            if cur.subject == cur.issuer:
                return path, f"{who} names itself as issuer but its self-signature does not verify"
            return path, f"the chain stops at {cur.subject.rfc4514_string()}: its issuer {who} is not in the file"
        path.append(good[0])
    return path, None
