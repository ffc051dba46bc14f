"""PKCS#12 certificate backup checks: passphrase, key↔leaf, chain to a root, SANs, validity, fingerprints."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from capture.certpath import build_path, is_ca, key_info, san_covers, sans
from capture.p12_format import p12_algorithms, p12_structure_problem
from capture.records import CheckItem, Verification

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def verdict_of(checks: list[CheckItem]) -> str:
    """Worst status wins; only not_checked items → not_checked."""
    statuses = {c.status for c in checks}
    for v in ("fail", "warn", "pass"):
        if v in statuses:
            return v
    return "not_checked"


def _spki(obj: Any) -> bytes:
    return obj.public_key().public_bytes(*_SPKI)


def _fp(cert: x509.Certificate, algo: hashes.HashAlgorithm) -> str:
    return cert.fingerprint(algo).hex()


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _days(cert: x509.Certificate, now: datetime) -> int:
    return int((cert.not_valid_after_utc - now).total_seconds() // 86400)


def _validity(cert: x509.Certificate, now: datetime, warn_days: int, what: str) -> CheckItem | None:
    nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
    window = f"valid {nb:%Y-%m-%d} → {na:%Y-%m-%d}"
    if now < nb:
        return CheckItem(name="validity", status="fail", detail=f"{what} is not valid yet ({window})")
    if now > na:
        return CheckItem(name="validity", status="fail",
                         detail=f"{what} expired {-_days(cert, now)} days ago ({window})")
    if _days(cert, now) <= warn_days:
        return CheckItem(name="validity", status="warn",
                         detail=f"{what} expires in {_days(cert, now)} days ({window}): renew it soon")
    return None


def _chain_entry(c: x509.Certificate) -> dict[str, Any]:
    return {"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(),
            "sha256": _fp(c, hashes.SHA256()), "not_after": c.not_valid_after_utc.isoformat()}


def _open(data: bytes, passphrase: bytes) -> tuple[Any, str | None]:
    tries = [passphrase] if passphrase else [b"", None]  # an empty passphrase may mean "none"
    for pw in tries:
        try:
            return pkcs12.load_pkcs12(data, pw), None
        except ValueError:
            continue
    problem = p12_structure_problem(data)
    if problem:
        return None, f"not a readable PKCS#12 file: {problem}"
    if not passphrase:
        return None, "no passphrase was given, and this PKCS#12 file needs one"
    return None, ("the passphrase does not open this PKCS#12 file (its structure is intact, so the "
                  "passphrase is wrong or not the one used at export)")


def _check_contents(bundle: Any, checks: list[CheckItem], details: dict[str, Any], *, site_hostname: str,
                    appliance_hostnames: list[str], presented_sha256: str | None, now: datetime,
                    warn_days: int) -> None:
    key = bundle.key
    pool: list[x509.Certificate] = []
    for c in ([bundle.cert] if bundle.cert else []) + list(bundle.additional_certs):
        if all(c.certificate != p for p in pool):
            pool.append(c.certificate)
    if not pool:
        checks.append(CheckItem(name="certificate", status="fail",
                                detail="the file holds no certificate (Include Certificate was not checked)"))
        return
    # The leaf is the certificate of the private key; without a matching key, the end-entity one.
    leaf = next((c for c in pool if key is not None and _spki(c) == _spki(key)), None)
    if key is None:
        checks.append(CheckItem(name="private key", status="fail", detail=(
            "the file holds no private key (Include Private Key was not checked): "
            "the certificate cannot be restored from it")))
    elif leaf is None:
        checks.append(CheckItem(name="private key", status="fail", detail=(
            "the private key does not match the certificate: its public key differs from every "
            "certificate in the file")))
    else:
        checks.append(CheckItem(name="private key", status="pass",
                                detail="present and matches the certificate's public key"))
    if leaf is None:
        issuers = {c.issuer for c in pool if c.issuer != c.subject}
        ends = [c for c in pool if is_ca(c) is not True and c.subject not in issuers]
        leaf = (bundle.cert.certificate if bundle.cert else None) or (ends or pool)[0]
    details.update(_leaf_details(leaf, now))
    _check_chain(leaf, pool, checks, details, now, warn_days)
    _check_names(leaf, checks, details, site_hostname, appliance_hostnames)
    checks.append(_validity(leaf, now, warn_days, "the certificate") or CheckItem(
        name="validity", status="pass",
        detail=(f"valid {leaf.not_valid_before_utc:%Y-%m-%d} → {leaf.not_valid_after_utc:%Y-%m-%d}, "
                f"{_days(leaf, now)} days left")))
    if presented_sha256:
        want = presented_sha256.replace(":", "").strip().lower()
        details["presented_sha256"] = want
        same = want == details["sha256"]
        checks.append(CheckItem(name="presented certificate", status="pass" if same else "fail", detail=(
            "the appliance presents this very certificate over TLS" if same else
            f"the appliance presents another certificate over TLS (sha256 {want[:16]}…) than the one "
            f"exported ({details['sha256'][:16]}…): the wrong certificate row may have been exported")))


def _leaf_details(leaf: x509.Certificate, now: datetime) -> dict[str, Any]:
    dns, ips = sans(leaf)
    return {
        "subject": leaf.subject.rfc4514_string(), "issuer": leaf.issuer.rfc4514_string(),
        "sans_dns": dns, "sans_ip": ips, "serial": format(leaf.serial_number, "X"),
        "not_before": leaf.not_valid_before_utc.isoformat(), "not_after": leaf.not_valid_after_utc.isoformat(),
        "days_left": _days(leaf, now), "sha256": _fp(leaf, hashes.SHA256()), "sha1": _fp(leaf, hashes.SHA1()),
        "spki_sha256": hashlib.sha256(_spki(leaf)).hexdigest(), "key": key_info(leaf.public_key()),
    }


def _check_chain(leaf: x509.Certificate, pool: list[x509.Certificate], checks: list[CheckItem],
                 details: dict[str, Any], now: datetime, warn_days: int) -> None:
    path, problem = build_path(leaf, pool)
    details["chain"] = [_chain_entry(c) for c in path]
    unused = [c for c in pool if all(c is not p for p in path)]
    if unused:
        details["unrelated_certificates"] = [c.subject.rfc4514_string() for c in unused]
    if problem:
        hint = " (Include Certificate Chain was not checked?)" if len(path) == 1 else ""
        checks.append(CheckItem(name="chain", status="fail", detail=problem + hint))
        return
    not_ca = [c for c in path[1:] if is_ca(c) is False]
    if not_ca:
        checks.append(CheckItem(name="chain", status="fail", detail=(
            f"{not_ca[0].subject.rfc4514_string()} signs the chain but is not a CA certificate")))
        return
    issues = [i for c in path[1:] if (i := _validity(c, now, warn_days, c.subject.rfc4514_string()))]
    if issues:
        worst = next((i for i in issues if i.status == "fail"), issues[0])
        checks.append(CheckItem(name="chain", status=worst.status, detail="chain complete, but " + worst.detail))
        return
    if len(path) == 1:
        detail = "the certificate is self-signed (its own root)"
    else:
        detail = (f"complete: {len(path)} certificates, leaf → "
                  + " → ".join(c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
                               if c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
                               else c.subject.rfc4514_string() for c in path[1:])
                  + " (self-signed root); every signature verifies")
    checks.append(CheckItem(name="chain", status="pass", detail=detail))


def _check_names(leaf: x509.Certificate, checks: list[CheckItem], details: dict[str, Any],
                 site_hostname: str, appliance_hostnames: list[str]) -> None:
    wanted = [h for h in dict.fromkeys([site_hostname, *appliance_hostnames]) if h]
    details["hostnames_checked"] = wanted
    if not wanted:
        checks.append(CheckItem(name="hostnames", status="not_checked", detail="no hostname to check"))
        return
    dns, ips = details["sans_dns"], details["sans_ip"]
    missing = [h for h in wanted if not san_covers(dns, ips, h)]
    if missing:
        have = ", ".join(dns + ips) or "none"
        checks.append(CheckItem(name="hostnames", status="fail", detail=(
            f"the certificate's alternative names ({have}) do not cover {', '.join(missing)}")))
    else:
        checks.append(CheckItem(name="hostnames", status="pass",
                                detail=f"alternative names cover {', '.join(wanted)}"))


def compare_p12_leaves(a: Verification, b: Verification) -> CheckItem:
    """Failover peers must hold the same certificate (the vendor: identical certificate configuration)."""
    fa, fb = a.details.get("sha256"), b.details.get("sha256")
    if not fa or not fb:
        return CheckItem(name="failover peers hold the same certificate", status="not_checked",
                         detail="one of the two certificate exports could not be opened")
    if fa == fb:
        return CheckItem(name="failover peers hold the same certificate", status="pass",
                         detail=f"same certificate on both peers (sha256 {fa[:16]}…)")
    same_key = a.details.get("spki_sha256") == b.details.get("spki_sha256")
    return CheckItem(name="failover peers hold the same certificate", status="fail", detail=(
        f"the peers hold different certificates: {a.details.get('subject')} (sha256 {fa[:16]}…, expires "
        f"{str(a.details.get('not_after'))[:10]}) vs {b.details.get('subject')} (sha256 {fb[:16]}…, expires "
        f"{str(b.details.get('not_after'))[:10]})" + ("; same key" if same_key else "; different keys")))


def verify_p12(path: Path, passphrase: bytes, *, site_hostname: str, appliance_hostnames: list[str],
               presented_sha256: str | None = None, now: datetime | None = None,
               warn_days: int = 90) -> Verification:
    """Check that a certificate export can be restored: opens, key matches, full chain, names, dates."""
    now = _utc(now or datetime.now(timezone.utc))
    path = Path(path)
    checks: list[CheckItem] = []
    details: dict[str, Any] = {}
    try:
        data = path.read_bytes()
    except OSError as e:
        checks.append(CheckItem(name="open", status="fail", detail=f"cannot read {path.name}: {e.strerror}"))
        return Verification(verdict="fail", checks=checks, details=details)
    details["file_size"] = len(data)
    details["p12_encryption"] = p12_algorithms(data)
    bundle, problem = _open(data, passphrase)
    if bundle is None:
        checks.append(CheckItem(name="open", status="fail", detail=problem))
        return Verification(verdict="fail", checks=checks, details=details)
    checks.append(CheckItem(name="open", status="pass" if passphrase else "warn",
                            detail="opened with the passphrase" if passphrase else
                            "the file has no passphrase: anyone holding it holds the private key"))
    enc = details["p12_encryption"]
    if enc.get("family") == "legacy":
        checks.append(CheckItem(name="encryption", status="pass", detail=(
            f"legacy PKCS#12 algorithms (key {enc.get('key')}, certificates {enc.get('certs')}, "
            f"MAC {enc.get('mac')}), as older appliances write; the file loads")))
    _check_contents(bundle, checks, details, site_hostname=site_hostname,
                   appliance_hostnames=appliance_hostnames, presented_sha256=presented_sha256,
                   now=now, warn_days=warn_days)
    return Verification(verdict=verdict_of(checks), checks=checks, details=details)
