"""The manifest schema: what capture writes and reports read (versioned, secret-free by construction)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PField, PrivateAttr, model_validator

# 2: page fields and table rows carry their screenshot box, and the snapshot its settings model (`settings`).
# A version-1 manifest still reads: its settings model is built from its page records when it is opened.
SCHEMA_VERSION = 2
REDACTED = "[redacted]"

Interface = Literal["appliance", "login", "api"]
PageStatus = Literal["ok", "failed", "skipped"]
Verdict = Literal["pass", "warn", "fail", "not_checked"]
StepStatus = Literal["done", "failed", "n/a"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# x, y, width, height in CSS pixels of the full-page screenshot (its pixels are these at device scale 1).
Box = tuple[int, int, int, int]


class Field(Model):
    """One label→value pair as a person sees it. Secret values are never stored."""

    label: str
    value: str | None = None
    kind: str = "text"  # text, password, checkbox, radio, select, textarea, static, dl, row
    secret: bool = False
    is_set: bool | None = None  # for secrets: whether the appliance holds a value
    box: Box | None = None  # where the value stands in the full-page screenshot


class Table(Model):
    title: str = ""
    headers: list[str] = []
    rows: list[list[str]] = []
    boxes: list[Box | None] = []  # per row, where it stands in the screenshot (empty: not recorded)


class Section(Model):
    title: str = ""
    fields: list[Field] = []
    tables: list[Table] = []
    text: list[str] = []


class OcrResult(Model):
    engine: str = ""
    text: str = ""  # redacted
    words_path: str | None = None  # JSON of word boxes beside the screenshot
    seconds: float = 0.0
    legibility: float | None = None  # share of non-redacted values found in the OCR text
    checked: int = 0
    missing: list[str] = []  # "Label: value" pairs the screenshot does not show
    flagged: bool = False
    error: str | None = None


class Masked(Model):
    """One thing painted over before a screenshot: where it was and why, never its value."""

    where: str = "page"  # page, page › frame, page › shadow root, closed shadow root
    why: str
    label: str = ""


class Gap(Model):
    """A part of the page the capture could not look into; it was blacked out whole."""

    where: str = "page"
    what: str


class Masking(Model):
    """The page's secret ledger: what was masked, blacked out, redacted and withheld, and why."""

    masked: list[Masked] = []
    gaps: list[Gap] = []
    attempts: int = 1  # shots taken until the masks held still (late content, frames that load)
    ocr_redacted: int = 0  # OCR words redacted by label or value
    ocr_checked: bool = False  # the screenshot's OCR was searched for every known secret
    withheld: list[str] = []  # what was deleted and why ("screenshot and OCR: a known secret was readable")
    layers_off: list[str] = []  # test-only: secret layers switched off for this run


def _norm(s: str) -> str:
    return " ".join(s.lower().replace(":", " ").split())


class PageRecord(Model):
    flow: str  # e.g. appliance.networking.ip_configuration: screenshot name, anchor, diff key
    interface: Interface
    title: str
    menu_path: list[str] = []
    status: PageStatus = "ok"
    url: str | None = None
    page_title: str | None = None
    captured_at: datetime | None = None
    screenshot: str | None = None  # relative to the snapshot folder
    screenshot_sha256: str | None = None  # hex SHA-256 of the PNG, re-checked by `bt-capture verify`
    sections: list[Section] = []
    error: str | None = None
    notes: list[str] = []  # retries, re-logins, skipped-by-design reasons
    ocr: OcrResult | None = None
    masking: Masking | None = None

    def value(self, labels: list[str]) -> str | None:
        """The value a person would read next to one of labels (case- and colon-insensitive).

        Tried in order: a field with exactly that label; a two-column table row whose first cell is
        the label; a field whose label contains a multi-word variant ("Appliance Serial Number").
        """
        want = [_norm(l) for l in labels]
        fields = [f for s in self.sections for f in s.fields if not f.secret and f.value]
        rows = [r for s in self.sections for t in s.tables if len(t.headers) in (0, 2) for r in t.rows if len(r) == 2]
        for w in want:
            hit = next((f.value for f in fields if _norm(f.label) == w), None) or \
                next((r[1] for r in rows if _norm(r[0]) == w and r[1]), None)
            if hit:
                return hit
        for w in (w for w in want if " " in w):
            hit = next((f.value for f in fields if f" {w} " in f" {_norm(f.label)} "), None)
            if hit:
                return hit
        return None

    def all_fields(self) -> list[tuple[str, Field]]:
        return [(s.title, f) for s in self.sections for f in s.fields]


class CheckItem(Model):
    name: str
    status: Verdict
    detail: str = ""


class Verification(Model):
    verdict: Verdict = "not_checked"
    checks: list[CheckItem] = []
    details: dict[str, Any] = {}  # non-secret facts: certificate subject, SANs, fingerprints, validity


class Artifact(Model):
    kind: Literal["p12", "nsb", "vault_key"]
    path: str  # relative to the snapshot folder
    size: int
    sha256: str
    obtained: Literal["ui", "api"]
    created_at: datetime
    options: dict[str, Any] = {}  # include_history, password_protected, certificate row …
    secret_ref: str | None = None  # where the password/passphrase lives (never the value)
    verification: Verification | None = None


class Failure(Model):
    step: str  # flow name or artifact step
    error: str
    kind: Literal["page", "artifact", "login", "verify", "ocr", "browser", "tls"] = "page"
    screenshot: str | None = None


class ProcedureStep(Model):
    id: str
    title: str
    status: StepStatus
    evidence: list[str] = []  # flow names and artifact paths
    detail: str = ""


class Identity(Model):
    """The four values the vendor asks backups to be named after, plus context."""

    appliance_version: str | None = None
    serial_number: str | None = None
    base_software_version: str | None = None
    system_time: str | None = None
    hostname: str | None = None
    model: str | None = None
    site_hostname: str | None = None  # as /login shows it (cloud and hosted sites have no Status page)


class TlsInfo(Model):
    host: str
    port: int
    trust: Literal["ca", "pin", "system", "insecure"]
    sha256: str  # certificate fingerprint
    spki_sha256: str
    subject: str = ""
    issuer: str = ""
    sans: list[str] = []
    not_before: datetime | None = None
    not_after: datetime | None = None


class SecretRef(Model):
    name: str  # p12_passphrase, backup_password, vault_key_password …
    where: str  # "environment variable BT_P12_PASS", "OS keyring bt-capture/…", "typed at the prompt"


class PeerInfo(Model):
    name: str
    snapshot: str | None = None  # relative path to the peer snapshot folder
    verdict: str | None = None  # consistent / N must-match differences
    must_match: int = 0
    diff_html: str | None = None
    differences: list[dict[str, Any]] = []  # must-match differences (flow, section, label, a, b)
    not_compared: str | None = None  # why the run that took this snapshot made no peer diff (--only, inventory)


class Snapshot(Model):
    schema_version: int = SCHEMA_VERSION
    tool: str = "bt-capture"
    tool_version: str = ""
    name: str = ""  # folder name
    label: str = ""  # inventory name of the appliance
    site_hostname: str = ""
    appliance_hostname: str = ""
    deployment: Literal["onprem", "cloud", "hosted"] = "onprem"
    role: str | None = None
    product_version: str | None = None
    product_build: str | None = None
    identity: Identity = PField(default_factory=Identity)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    operator: str = ""
    insecure: bool = False
    tls: list[TlsInfo] = []
    pages: list[PageRecord] = []
    artifacts: list[Artifact] = []
    failures: list[Failure] = []
    procedure: list[ProcedureStep] = []
    warnings: list[str] = []
    secrets: list[SecretRef] = []
    log: list[str] = []  # retries and re-logins, redacted
    peer: PeerInfo | None = None
    # The typed settings model (flows.settings.Settings, its JSON Schema in docs/settings.schema.json): what each
    # value means, with where it was read. Reports read it through flows.settings.of(), never these raw dicts.
    settings: dict[str, Any] | None = None
    _settings: Any = PrivateAttr(default=None)  # the parsed model, once read

    @model_validator(mode="before")
    @classmethod
    def _known_version(cls, data: Any) -> Any:
        v = data.get("schema_version") if isinstance(data, dict) else None
        if isinstance(v, int) and v > SCHEMA_VERSION:
            raise ValueError(f"written by a newer bt-capture (manifest schema {v}; this one reads up to "
                             f"{SCHEMA_VERSION}): update bt-capture to read it")
        return data

    def page(self, flow: str) -> PageRecord | None:
        return next((p for p in self.pages if p.flow == flow), None)

    def artifact(self, kind: str, obtained: str | None = None) -> Artifact | None:
        return next((a for a in self.artifacts if a.kind == kind and obtained in (None, a.obtained)), None)

    @property
    def problems(self) -> int:
        return len(self.failures)
