"""What a dossier shows, computed from manifest.json alone: value display, status, warnings, certificates, peers."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from capture.records import Artifact, Field, PageRecord, Snapshot, Table

EXPIRY_DAYS = 90
DEPLOYMENTS = {"onprem": "On-premises B Series Appliance", "cloud": "BeyondTrust Cloud",
               "hosted": "BeyondTrust-hosted (managed by BeyondTrust)"}
KINDS = {"p12": "Site certificate (.p12)", "nsb": "Site backup (.nsb)", "vault_key": "Vault encryption key"}
SECRET_NAMES = {"p12_passphrase": "certificate (.p12) passphrase", "backup_password": "NSB backup password",
                "vault_key_password": "Vault encryption key password", "login_password": "/login password",
                "appliance_password": "/appliance password", "totp_secret": "/login two-factor (TOTP) secret",
                "api_client_secret": "API client secret"}


def load(folder: Path) -> tuple[Snapshot, bool]:
    """The snapshot and whether it is partial (capture stopped before writing manifest.json)."""
    folder = Path(folder)
    for name, partial in (("manifest.json", False), ("manifest.partial.json", True)):
        path = folder / name
        if path.is_file():
            return Snapshot.model_validate_json(path.read_text()), partial
    raise FileNotFoundError(f"{folder}: no manifest.json (is this a bt-capture snapshot folder?)")


def when(dt: datetime | None) -> str:
    if dt is None:
        return "unknown"
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def day(dt: datetime | None) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d") if dt else "unknown"


def size(n: int) -> str:
    scaled = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if scaled < 1024 or unit == "GiB":
            return f"{n:,} bytes" if unit == "bytes" else f"{scaled:,.1f} {unit} ({n:,} bytes)"
        scaled /= 1024
    return f"{n:,} bytes"


def shown(f: Field) -> tuple[str, str]:
    """(text, css class) of one field as the dossier prints it; secrets never show a value."""
    if f.secret:
        return {True: ("set (redacted)", "secret set"), False: ("not set", "secret unset")}.get(
            f.is_set, ("redacted", "secret"))
    if f.value is None:
        return "", "empty"
    if f.value == "":
        return "(empty)", "empty"
    if f.kind == "checkbox" and f.value in ("on", "off"):
        return f.value, f"check {f.value}"
    return f.value, "value"


def clean_table(t: Table) -> Table:
    """Drop columns that are empty in every row (action buttons, drag handles, row checkboxes without a value)."""
    if not t.rows:
        return t
    width = max([len(t.headers)] + [len(r) for r in t.rows])
    keep = [i for i in range(width) if any(i < len(r) and r[i].strip() for r in t.rows)]

    def pick(row: list[str]) -> list[str]:
        return [row[i] if i < len(row) else "" for i in keep]
    return Table(title=t.title, headers=pick(t.headers) if t.headers else [], rows=[pick(r) for r in t.rows])


def href(folder: Path, rel: str | None) -> str | None:
    """A relative, URL-quoted link from the dossier to a file of the snapshot folder."""
    if not rel:
        return None
    return "/".join(quote(part) for part in Path(rel).parts)


def artifact_for(snap: Snapshot, evidence: str) -> int | None:
    """Procedure evidence names files before the snapshot prefix was added: match by the unprefixed name."""
    name = Path(evidence).name
    for i, a in enumerate(snap.artifacts):
        if a.path == evidence or Path(a.path).name == name or Path(a.path).name.endswith("__" + name):
            return i
    return None


def evidence_links(snap: Snapshot, evidence: list[str]) -> list[dict[str, str]]:
    out = []
    for ev in evidence:
        page = snap.page(ev)
        if page is not None:
            out.append({"href": f"#{ev}", "text": page.title})
            continue
        i = artifact_for(snap, ev)
        if i is not None:
            out.append({"href": f"#artifact-{i}", "text": Path(ev).name})
        else:
            out.append({"href": "", "text": ev})
    return out


def secret_where(snap: Snapshot, name: str, art: Artifact | None = None) -> str:
    ref = next((s.where for s in snap.secrets if s.name == name), None)
    if ref is None and art is not None and art.secret_ref:
        ref = art.secret_ref
    return ref or "not recorded in the manifest (ask whoever ran the capture)"


@dataclass
class Cert:
    what: str
    subject: str
    not_after: datetime | None
    days: int | None
    sha256: str = ""
    href: str = ""


def reference_time(snap: Snapshot) -> datetime:
    return snap.finished_at or snap.started_at or datetime.now(timezone.utc)


def dt(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=timezone.utc)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def certificates(snap: Snapshot) -> list[Cert]:
    """The exported certificate, its chain and the certificates presented over TLS, each with days left at capture."""
    ref = reference_time(snap)
    out: list[Cert] = []
    seen: set[str] = set()

    def add(what: str, subject: str, not_after: Any, sha: str, link: str) -> None:
        if sha and sha in seen:
            return
        seen.add(sha)
        end = dt(not_after)
        out.append(Cert(what, subject, end, (end - ref).days if end else None, sha, link))

    for i, a in enumerate(snap.artifacts):
        d = a.verification.details if a.verification else {}
        if a.kind != "p12" or not d:
            continue
        add("exported site certificate", d.get("subject", ""), d.get("not_after"), d.get("sha256", ""),
            f"#artifact-{i}")
        for c in d.get("chain", [])[1:]:
            role = "root CA" if c.get("subject") == c.get("issuer") else "issuing CA"
            add(f"{role} in the exported chain", c.get("subject", ""), c.get("not_after"), c.get("sha256", ""),
                f"#artifact-{i}")
    for t in snap.tls:
        add(f"presented over TLS by {t.host}:{t.port}", t.subject, t.not_after, t.sha256, "#tls")
    return out


def expiring(snap: Snapshot) -> list[Cert]:
    return [c for c in certificates(snap) if c.days is not None and c.days <= EXPIRY_DAYS]


def soonest(snap: Snapshot) -> Cert | None:
    dated = [c for c in certificates(snap) if c.not_after]
    return min(dated, key=lambda c: c.not_after) if dated else None  # type: ignore[arg-type, return-value]


def problems(snap: Snapshot, partial: bool = False) -> list[str]:
    """Failures, plus failed checklist steps and failed verifications that no failure already names."""
    out = [f"{f.step}: {f.error}" for f in snap.failures]
    if partial:
        out.insert(0, "the capture did not finish: this folder holds only a partial manifest")
    for st in snap.procedure:
        if st.status == "failed" and not any(f.step in st.detail for f in snap.failures):
            out.append(f"checklist step '{st.title}' failed: {st.detail}")
    for a in snap.artifacts:
        if a.verification and a.verification.verdict == "fail" and not any(
                Path(a.path).name in p or a.path in p for p in out):
            out.append(f"{Path(a.path).name} failed verification")
    return out


@dataclass
class PeerView:
    name: str
    verdict: str
    must_match: int
    diff_href: str | None
    differences: list[dict[str, Any]] = field(default_factory=list)
    comparable: bool = True  # False: a page or step was missing on either side, so "consistent" is unproven


def _same(x: Any, folder: Path, snap: Snapshot) -> bool:
    if x is None:
        return False
    s = str(x)
    return s in (snap.name, snap.label, str(folder)) or Path(s).name == folder.name or (
        os.path.exists(s) and Path(s).resolve() == folder.resolve())


def peer(folder: Path, snap: Snapshot, diffs: list[dict[str, Any]] | None) -> PeerView | None:
    """This snapshot's peer diff: from the run's diff summaries (diff.json beside diff.html), else snapshot.peer."""
    for d in diffs or []:
        mine = [_same(d.get(k), folder, snap) for k in ("a_snapshot", "a", "b_snapshot", "b")]
        if not any(mine):
            continue
        other = d.get("b") if mine[0] or mine[1] else d.get("a")
        link = d.get("html")
        rel = os.path.relpath(Path(link), folder) if link else None
        listed = d.get("differences")
        rows = _must(listed) if isinstance(listed, list) else _differences(d.get("json"))
        if not (mine[0] or mine[1]):  # this snapshot is the diff's b side: show its own values first
            rows = [{**r, "a": r["b"], "b": r["a"]} for r in rows]
        return PeerView(Path(str(other)).name if other else "peer", str(d.get("verdict", "")),
                        int(d.get("must_match") or 0), rel and "/".join(quote(p) for p in Path(rel).parts), rows,
                        d.get("comparable") is not False)
    if snap.peer and (snap.peer.verdict or snap.peer.diff_html):  # a peer named, but never compared: no claim
        p = snap.peer
        return PeerView(p.name, p.verdict or "", p.must_match, p.diff_html, list(p.differences))
    return None


def _differences(path: Any) -> list[dict[str, str]]:
    """The must-match differences listed in diff.json (its layout is the diff's; read defensively)."""
    if not path or not Path(str(path)).is_file():
        return []
    try:
        data = json.loads(Path(str(path)).read_text())
    except (OSError, ValueError):
        return []
    items = data.get("differences") if isinstance(data, dict) else data
    return _must(items) if isinstance(items, list) else []


def _must(items: list[Any]) -> list[dict[str, str]]:
    rows = [d for d in items if isinstance(d, dict)]
    must = [d for d in rows if d.get("class") in (None, "must_match") and d.get("cls", "must_match") == "must_match"]
    return [{k: str(d.get(k, "")) for k in ("flow", "section", "label", "a", "b")} for d in must[:50]]


def page_key(order: list[str]):  # type: ignore[no-untyped-def]
    rank = {"appliance": 0, "login": 1, "api": 2}

    def key(p: PageRecord) -> tuple[int, int, str]:
        return rank.get(p.interface, 3), order.index(p.flow) if p.flow in order else len(order), p.flow
    return key


def signature(folder: Path) -> list[tuple[str, str, str]]:
    """The cover's proof of origin: who signed the snapshot's file list, and that list's hash."""
    from capture import sign

    info = sign.describe(folder)
    if info is None:
        return [("Signature", "not signed", "empty")]
    return [("Signed by", info["fingerprint"], "mono"),
            ("Signed list (SHA256SUMS)", f"SHA-256 {info['list_sha256']}, {info['files']} files", "mono")]
