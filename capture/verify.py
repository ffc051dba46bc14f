"""Backup file checks (NSB, vault key, p12) and offline re-verification of a stored snapshot."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable

from capture.pkcs12 import compare_p12_leaves, verdict_of, verify_p12
from capture.records import Artifact, CheckItem, Snapshot, Verification

__all__ = ["sha256_file", "hash_file", "sniff_error_body", "verify_nsb", "verify_vault_key", "verify_p12",
           "compare_p12_leaves", "verify_snapshot", "verdict_of"]

CHUNK = 1 << 20  # 1 MiB: NSB files with logged history run to gigabytes; memory stays constant
SNIFF = 1024

_SECRETISH = re.compile(r"(?i)\b(password|passwd|passphrase|pass|secret|token|api_?key|client_secret)"
                        r"(\s*[=:]\s*|\s+)(\S+)")
_ERROR_KEYS = ("error", "errors", "error_description", "error_message", "message", "fault", "detail")


_KNOWN: dict[tuple[str, int, int], str] = {}


def remember(path: Path, sha256: str) -> None:
    """Record a hash computed while the file was written, so this process never reads it again for it
    (keyed by path, size and modification time: any change to the file makes it a stranger again)."""
    st = Path(path).stat()
    _KNOWN[(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)] = sha256


def hash_file(path: Path) -> tuple[int, str]:
    """(size, hex SHA-256) in one streamed pass (or from remember(), in the process that wrote it)."""
    st = Path(path).stat()
    known = _KNOWN.get((str(Path(path).resolve()), st.st_size, st.st_mtime_ns))
    if known:
        return st.st_size, known
    h, size = hashlib.sha256(), 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
            size += n
    return size, h.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, streamed in 1 MiB chunks."""
    return hash_file(path)[1]


def _excerpt(raw: bytes | str) -> str:
    """A short, single-line, scrubbed quote of a server message (servers may echo a query string)."""
    s = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    s = re.sub(r"<[^>]*>", " ", s)
    s = " ".join(s.split())
    s = _SECRETISH.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", s)
    return s[:80] + ("…" if len(s) > 80 else "")


def _printable_share(b: bytes) -> float:
    if not b:
        return 0.0
    text = b.decode("utf-8", "replace")
    good = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n")
    return good / len(text)


def sniff_error_body(first_bytes: bytes) -> str | None:
    """Why these first bytes look like an error response rather than a backup file, or None."""
    head = first_bytes[:SNIFF]
    short = len(first_bytes) < SNIFF  # the caller read the whole file
    if not head:
        return "the file is empty"
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not s:
        return "the file holds only whitespace"
    low = s.lower()
    textish = _printable_share(s) >= 0.9
    if low.startswith(b"<!doctype") or low.startswith(b"<html") or (textish and b"<html" in low):
        m = re.search(rb"<title[^>]*>(.*?)</title>", s, re.I | re.S)
        titled = f' titled "{_excerpt(m.group(1))}"' if m and m.group(1).strip() else ""
        return f"an HTML page{titled}, not a backup: the server answered with a web page (login or error)"
    if low.startswith(b"<?xml") or low.startswith(b"<error") or (textish and re.match(rb"<[a-z_][\w:.-]*[\s>/]", low)):
        m = re.search(rb"<(error|error_message|message|fault|faultstring)\b[^>]*>([^<]*)", s, re.I)
        if m:
            return f'an XML error body ("{_excerpt(m.group(2)) or m.group(1).decode()}"), not a backup'
        return "an XML document, not a backup"
    if low[:1] in (b"{", b"[") and textish:
        try:
            obj: Any = json.loads(s.decode("utf-8", "replace"))
        except ValueError:
            obj = None  # may be cut at 1 KiB
        if isinstance(obj, dict) and (keys := [k for k in _ERROR_KEYS if k in obj]):
            return f'a JSON error body ("{_excerpt(json.dumps(obj[keys[0]]).strip(chr(34)))}"), not a backup'
        m = re.search(rb'"(error|error_description|message)"\s*:\s*"([^"]*)', s)
        if m:
            return f'a JSON error body ("{_excerpt(m.group(2))}"), not a backup'
        if obj is not None or re.match(rb'^[\[{]\s*("|\]|})', low):
            return "a JSON document, not a backup"
    # A short printable message ("Invalid credentials", a legacy 200-with-error API answer).
    # Text without spaces (base64, hex) or PEM armour may be a real key file, so it passes.
    if short and _printable_share(s) >= 0.95 and not low.startswith(b"-----begin"):
        text = s.decode("utf-8", "replace")
        if re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", text) or re.search(
                r"(?i)\b(error|invalid|denied|failed|unauthori[sz]ed|forbidden|expired)\b", text):
            return f'a short text message ("{_excerpt(text)}"), not a backup'
    return None


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF)


def _basic(path: Path, what: str, checks: list[CheckItem], details: dict[str, Any]) -> bool:
    """Present, non-empty, not an error body; records size and sha256. False when the file is unusable."""
    path = Path(path)
    if not path.is_file():
        checks.append(CheckItem(name="present", status="fail", detail=f"{what} {path.name} does not exist"))
        return False
    size, digest = hash_file(path)
    details.update(size=size, sha256=digest)
    if size == 0:
        checks.append(CheckItem(name="not empty", status="fail",
                                detail=f"{what} {path.name} is empty (0 bytes): the download failed"))
        return False
    checks.append(CheckItem(name="present", status="pass", detail=f"{size:,} bytes, sha256 {digest[:16]}…"))
    reason = sniff_error_body(_read_head(path))
    if reason:
        checks.append(CheckItem(name="not an error page", status="fail", detail=f"{what} is {reason}"))
        return False
    checks.append(CheckItem(name="not an error page", status="pass",
                            detail="binary content, no HTML/XML/JSON/text error body"))
    return True


def verify_nsb(path: Path, *, include_history: bool | None, password_protected: bool,
               other: Path | None = None) -> Verification:
    """Check a /login site backup (opaque .nsb): real content, its options, and the other route's copy."""
    checks: list[CheckItem] = []
    details: dict[str, Any] = {"include_history": include_history, "password_protected": password_protected}
    ok = _basic(Path(path), "the site backup", checks, details)
    if ok:
        checks.append(CheckItem(name="logged history", status="not_checked" if include_history is None
                                else "pass", detail={
            True: "includes logged session data and support team information",
            False: "without logged history (users, configuration and keys are in it regardless)",
            None: "not known whether logged history was included"}[include_history]))
        checks.append(CheckItem(name="backup password", status="pass" if password_protected else "warn",
                                detail="protected with a backup password (needed to restore it)"
                                if password_protected else
                                "no backup password: the file holds the inter-appliance key and user "
                                "accounts in a form anyone holding it can restore"))
    if other is not None and ok:
        checks.append(_compare_routes(Path(path), Path(other), details))
    return Verification(verdict=verdict_of(checks), checks=checks, details=details)


def _compare_routes(path: Path, other: Path, details: dict[str, Any]) -> CheckItem:
    name = "UI and API copies"
    if not other.is_file() or other.stat().st_size == 0:
        return CheckItem(name=name, status="warn", detail=f"the other copy {other.name} is missing or empty")
    size, digest = hash_file(other)
    details.update(other_size=size, other_sha256=digest, identical=digest == details["sha256"])
    if digest == details["sha256"]:
        return CheckItem(name=name, status="pass", detail=f"both exist and are identical ({size:,} bytes)")
    # Each download is generated fresh by the appliance, so two routes rarely give equal bytes.
    return CheckItem(name=name, status="pass", detail=(
        f"both exist and differ, as expected for two separately generated backups "
        f"({details['size']:,} vs {size:,} bytes)"))


def verify_vault_key(path: Path, *, password_protected: bool) -> Verification:
    """Check the Vault encryption key download: real content, taken with a password (the vendor requires it)."""
    checks: list[CheckItem] = []
    details: dict[str, Any] = {"password_protected": password_protected}
    if _basic(Path(path), "the Vault encryption key", checks, details):
        checks.append(CheckItem(name="password", status="pass" if password_protected else "fail",
                                detail="downloaded with a password" if password_protected else
                                "downloaded without a password: the vendor says the Vault encryption key "
                                "must be password protected"))
    return Verification(verdict=verdict_of(checks), checks=checks, details=details)


def _inside(folder: Path, rel: str) -> Path | None:
    p = (folder / rel).resolve()
    return p if p.is_relative_to(folder.resolve()) else None


def _artifact_checks(folder: Path, snap: Snapshot, a: Artifact, passphrase: Callable[[], bytes | None],
                     ) -> list[CheckItem]:
    tag = f"{a.kind} ({a.obtained}) {a.path}"
    p = _inside(folder, a.path)
    if p is None:
        return [CheckItem(name=tag, status="fail", detail="the manifest points outside the snapshot folder")]
    if not p.is_file():
        return [CheckItem(name=tag, status="fail", detail="listed in the manifest but missing from the folder")]
    size, digest = hash_file(p)
    if (size, digest) != (a.size, a.sha256):
        return [CheckItem(name=tag, status="fail", detail=(
            f"differs from the manifest: {size:,} bytes, sha256 {digest[:16]}… "
            f"(manifest: {a.size:,} bytes, {a.sha256[:16]}…): changed or damaged since capture"))]
    out = [CheckItem(name=tag, status="pass", detail=f"size and sha256 match the manifest ({size:,} bytes)")]
    if p.stat().st_mode & 0o077:
        out.append(CheckItem(name=f"{tag} permissions", status="warn",
                             detail=f"readable by other users (mode {p.stat().st_mode & 0o777:o}; expected 600)"))
    opts = a.options
    if a.kind == "nsb":
        peer = snap.artifact("nsb", "api") if a.obtained == "ui" else None
        other = _inside(folder, peer.path) if peer else None
        v = verify_nsb(p, include_history=opts.get("include_history"),
                       password_protected=bool(opts.get("password_protected")), other=other)
    elif a.kind == "vault_key":
        v = verify_vault_key(p, password_protected=bool(opts.get("password_protected")))
    else:
        secret = passphrase()
        if secret is None:
            return out + [CheckItem(name=f"{tag} content", status="not_checked",
                                    detail="no passphrase given: the certificate content was not re-checked "
                                           "(the file is unchanged since capture)")]
        old = a.verification.details if a.verification else {}
        names = old.get("hostnames_checked") or [snap.site_hostname, snap.appliance_hostname]
        v = verify_p12(p, secret, site_hostname=names[0] if names else "", appliance_hostnames=list(names[1:]),
                       presented_sha256=old.get("presented_sha256"))
    return out + [CheckItem(name=f"{tag} {c.name}", status=c.status, detail=c.detail) for c in v.checks]


def verify_snapshot(folder: Path, secrets: Callable[[str], bytes | None]) -> tuple[Snapshot, list[CheckItem]]:
    """Re-check a stored snapshot offline: every artifact's bytes against the manifest, then its format.

    `secrets(name)` is asked for "p12_passphrase" only if a certificate file is present and intact.
    Raises ValueError when manifest.json is missing or unreadable."""
    folder = Path(folder)
    try:
        snap = Snapshot.model_validate_json((folder / "manifest.json").read_bytes())
    except FileNotFoundError:
        raise ValueError(f"{folder} holds no manifest.json: not a bt-capture snapshot") from None
    except ValueError as e:
        raise ValueError(f"{folder / 'manifest.json'} is not a valid manifest: {str(e).splitlines()[0]}") from None
    cache: dict[str, bytes | None] = {}

    def passphrase() -> bytes | None:
        if "p12" not in cache:
            cache["p12"] = secrets("p12_passphrase")
        return cache["p12"]

    results: list[CheckItem] = []
    if not snap.artifacts:
        results.append(CheckItem(name="artifacts", status="warn", detail="the manifest lists no backup file"))
    for a in snap.artifacts:
        results.extend(_artifact_checks(folder, snap, a, passphrase))
    for page in snap.pages:
        if page.screenshot:
            results.append(_screenshot_check(folder, page.flow, page.screenshot, page.screenshot_sha256))
    return snap, results


def _screenshot_check(folder: Path, flow: str, rel: str, want: str | None) -> CheckItem:
    name = f"screenshot {flow}"
    p = _inside(folder, rel)
    if p is None or not p.is_file():
        return CheckItem(name=name, status="fail", detail=f"{rel} is listed but missing")
    digest = sha256_file(p)
    if want is None:
        return CheckItem(name=name, status="pass", detail=f"present (no hash in the manifest), sha256 {digest[:16]}…")
    if digest != want:
        return CheckItem(name=name, status="fail", detail=f"{rel} changed since capture (sha256 differs)")
    return CheckItem(name=name, status="pass", detail="sha256 matches the manifest")
