"""Reading a PKCS#12 file's outer DER structure without the passphrase: truncation and algorithm family."""
from __future__ import annotations

from typing import Any

_PBE = {  # PKCS#12 v1 password-based encryption (RFC 7292 appendix C): what openssl -legacy writes
    "1.2.840.113549.1.12.1.1": "PBE-SHA1-RC4-128", "1.2.840.113549.1.12.1.2": "PBE-SHA1-RC4-40",
    "1.2.840.113549.1.12.1.3": "PBE-SHA1-3DES", "1.2.840.113549.1.12.1.4": "PBE-SHA1-2DES",
    "1.2.840.113549.1.12.1.5": "PBE-SHA1-RC2-128", "1.2.840.113549.1.12.1.6": "PBE-SHA1-RC2-40",
}
_PBES2 = "1.2.840.113549.1.5.13"
_CIPHERS = {"2.16.840.1.101.3.4.1.2": "AES-128-CBC", "2.16.840.1.101.3.4.1.22": "AES-192-CBC",
            "2.16.840.1.101.3.4.1.42": "AES-256-CBC", "1.2.840.113549.3.7": "DES-EDE3-CBC"}
_DIGESTS = {"1.3.14.3.2.26": "SHA-1", "2.16.840.1.101.3.4.2.1": "SHA-256",
            "2.16.840.1.101.3.4.2.2": "SHA-384", "2.16.840.1.101.3.4.2.3": "SHA-512"}
_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
_KEY_BAG = "1.2.840.113549.1.12.10.1.1"
_CERT_BAG = "1.2.840.113549.1.12.10.1.3"
_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_PBMAC1 = "1.2.840.113549.1.5.14"


def _header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER TLV at pos; ValueError if it does not fit."""
    if pos + 2 > len(data):
        raise ValueError("ends inside a header")
    tag, n = data[pos], data[pos + 1]
    pos += 2
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tag")
    if n & 0x80:
        k = n & 0x7F
        if k == 0:  # BER indefinite length: some Java/Windows tools write it; we only read DER
            raise ValueError("indefinite length")
        if k > 4 or pos + k > len(data):
            raise ValueError("bad length")
        n = int.from_bytes(data[pos:pos + k], "big")
        pos += k
    if pos + n > len(data):
        raise ValueError(f"declares {n} bytes, only {len(data) - pos} remain")
    return tag, pos, pos + n


def _oid(body: bytes) -> str:
    parts, v = [], 0
    for b in body:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(v)
            v = 0
    if not parts:
        return ""
    first = min(parts[0] // 40, 2)
    return ".".join(map(str, [first, parts[0] - 40 * first, *parts[1:]]))


def _walk(data: bytes, out: list[str], depth: int = 0) -> bool:
    """Append every OID found in order; True if `data` is exactly a sequence of TLVs."""
    if depth > 24:
        return False
    pos = 0
    while pos < len(data):
        try:
            tag, start, end = _header(data, pos)
        except ValueError:
            return False
        body = data[start:end]
        if tag == 0x06:
            out.append(_oid(body))
        elif tag & 0x20:
            _walk(body, out, depth + 1)
        elif tag == 0x04 and body[:1] == b"\x30":  # OCTET STRING wrapping DER (authSafe, SafeContents)
            inner: list[str] = []
            if _walk(body, inner, depth + 1):
                out.extend(inner)
        pos = end
    return True


def p12_structure_problem(data: bytes) -> str | None:
    """Why the bytes are not a complete PKCS#12 PFX, or None if the outer structure is intact."""
    if not data:
        return "the file is empty"
    if data[:1] != b"\x30":
        return "it does not start like a PKCS#12 (DER) file"
    try:
        _, _, end = _header(data, 0)
    except ValueError as e:
        return f"truncated or damaged ({len(data)} bytes; the outer structure {e})"
    if end != len(data):
        return f"{len(data) - end} unexpected bytes after the PKCS#12 structure"
    oids: list[str] = []
    _walk(data, oids)
    if "1.2.840.113549.1.7.1" not in oids:
        return "no PKCS#7 data content: not a PKCS#12 file"
    return None


def _scheme(oids: list[str], i: int) -> str:
    o = oids[i] if i < len(oids) else ""
    if o in _PBE:
        return _PBE[o]
    if o == _PBES2:
        cipher = next((_CIPHERS[x] for x in oids[i + 1:i + 6] if x in _CIPHERS), "unknown cipher")
        return f"PBES2 {cipher}"
    return "unknown"


def p12_algorithms(data: bytes) -> dict[str, Any]:
    """Encryption of key and certificates and the MAC digest, as written in the unencrypted envelope."""
    oids: list[str] = []
    if p12_structure_problem(data) or not _walk(data, oids):
        return {"family": "unknown"}
    out: dict[str, Any] = {}
    if _SHROUDED_KEY_BAG in oids:
        out["key"] = _scheme(oids, oids.index(_SHROUDED_KEY_BAG) + 1)
    elif _KEY_BAG in oids:
        out["key"] = "none (key stored unencrypted)"
    if _ENCRYPTED_DATA in oids:  # encryptedData → version, data OID, then the algorithm
        i = oids.index(_ENCRYPTED_DATA)
        j = next((k for k in range(i + 1, min(i + 4, len(oids))) if oids[k] in _PBE or oids[k] == _PBES2), None)
        out["certs"] = _scheme(oids, j) if j is not None else "unknown"
    elif _CERT_BAG in oids:
        out["certs"] = "none"
    digests = [o for o in oids if o in _DIGESTS]
    out["mac"] = "PBMAC1" if _PBMAC1 in oids else (_DIGESTS[digests[-1]] if digests else "none")
    schemes = [v for k, v in out.items() if k in ("key", "certs")]
    if any(s.startswith("PBE-SHA1") for s in schemes) or out["mac"] == "SHA-1":
        out["family"] = "legacy"
    elif schemes and all(s.startswith("PBES2 AES") or s.startswith("none") for s in schemes):
        out["family"] = "aes"
    else:
        out["family"] = "unknown"
    return out
