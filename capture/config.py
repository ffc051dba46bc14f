"""The inventory: TOML → validated, frozen settings, with clear messages that name the line and key."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from capture.browser import default_browser
from capture.errors import ConfigError
from capture.evidence_config import History, Hooks

SECRET_NAMES = ("appliance_password", "login_password", "totp_secret", "api_client_secret",
                "p12_passphrase", "backup_password", "vault_key_password")
_SOURCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|keyring:[^/]+/.+|prompt|generate|generate:keyring|none)$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tls(Strict):
    ca_file: Path | None = None
    pin: str | None = None  # base64 SHA-256 of the SubjectPublicKeyInfo
    system: bool = False
    insecure: bool = False

    @model_validator(mode="after")
    def _one(self) -> "Tls":
        chosen = [n for n, v in (("ca_file", self.ca_file), ("pin", self.pin), ("system", self.system),
                                 ("insecure", self.insecure)) if v]
        if len(chosen) > 1:
            raise ValueError(f"choose one TLS trust, not {' and '.join(chosen)}")
        return self

    @property
    def mode(self) -> Literal["ca", "pin", "system", "insecure"]:
        return "ca" if self.ca_file else "pin" if self.pin else "insecure" if self.insecure else "system"


class Secrets(Strict):
    """Where each secret comes from. Never the secret itself: env:NAME, keyring:SERVICE/USER,
    prompt, generate (printed once to the terminal) or generate:keyring."""

    appliance_password: str = "none"
    login_password: str = "none"
    totp_secret: str = "none"
    api_client_secret: str = "none"
    p12_passphrase: str = "none"
    backup_password: str = "none"
    vault_key_password: str = "none"

    @field_validator(*SECRET_NAMES)
    @classmethod
    def _source(cls, v: str) -> str:
        if not _SOURCE.match(v):
            raise ValueError("must say where the secret comes from (env:NAME, keyring:SERVICE/USER, prompt, "
                             "generate, generate:keyring or none); secrets are never written in the inventory")
        return v


class Accounts(Strict):
    appliance_user: str = "admin"
    login_user: str = "admin"
    api_client_id: str | None = None


class Take(Strict):
    certificate: bool = True
    nsb: Literal["auto", "api", "ui", "both", "none"] = "auto"
    include_history: bool = False
    vault_key: bool = True
    sync_now: bool = False  # the one state-changing action, only when asked


class Appliance(Strict):
    name: str
    url: str | None = None
    appliance_url: str | None = None
    login_url: str | None = None
    site_hostname: str | None = None
    deployment: Literal["onprem", "cloud", "hosted"] = "onprem"
    role: Literal["primary", "backup", "none"] | None = None
    peer: str | None = None
    resolve: str | None = None  # connect to this address instead of DNS (like curl --resolve)
    labels: Path | None = None
    tls: Tls = Tls()
    secrets: Secrets = Secrets()
    accounts: Accounts = Accounts()
    take: Take = Take()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", v):
            raise ValueError("use letters, digits, '.', '_' or '-' (it names folders)")
        return v

    @model_validator(mode="after")
    def _urls(self) -> "Appliance":
        if not (self.url or self.login_url):
            raise ValueError("give url (the appliance base URL) or login_url")
        for u in (self.url, self.appliance_url, self.login_url):
            if u and urlsplit(u).scheme != "https":
                raise ValueError(f"{u!r}: an appliance URL must start with https://")
        return self

    def interface_url(self, interface: str) -> str:
        explicit = self.appliance_url if interface == "appliance" else self.login_url
        if explicit:
            return explicit
        base = (self.url or self.login_url or "").rstrip("/")
        return f"{base}/{interface}"

    @property
    def host(self) -> str:
        return urlsplit(self.url or self.login_url or "").hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url or self.login_url or "").port or 443

    @property
    def site(self) -> str:
        return self.site_hostname or self.host


class Archive(Strict):
    """`bt-capture archive`: where sessions and recordings go, and how politely they are fetched."""

    folder: Path | None = None  # default: <output>/archive
    catalog: str | None = None  # a SQLite file (default <folder>/catalog.sqlite) or a postgresql:// URL
    window_hours: float = Field(24.0, gt=0, le=24 * 31)  # one listing call per window
    first_days: int = Field(90, ge=1)  # how far back the first run looks (Cloud keeps 90 days)
    overlap_minutes: int = Field(10, ge=0)  # re-list this much before the watermark: the API lags
    concurrency: int = Field(3, ge=1, le=16)  # calls at once per site
    retries: int = Field(5, ge=0, le=20)


class Inventory(Strict):
    output: Path = Path("out")
    jobs: int = 2
    browser: Path = Field(default_factory=default_browser)
    labels: Path | None = None
    page_timeout: float = 30.0
    download_timeout: float = 3600.0
    defaults: dict[str, Any] = {}
    archive: Archive = Archive()
    history: History = History()
    hooks: Hooks = Hooks()
    sign: str | None = None  # an SSH private key file (or keyring:SERVICE/USER): sign every snapshot
    appliance: list[Appliance]

    @field_validator("jobs")
    @classmethod
    def _jobs(cls, v: int) -> int:
        if not 1 <= v <= 64:
            raise ValueError("jobs must be between 1 and 64")
        return v

    @model_validator(mode="after")
    def _peers(self) -> "Inventory":
        names = [a.name for a in self.appliance]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"appliance names must be unique: {sorted(dup)}")
        for a in self.appliance:
            if a.peer == a.name:
                raise ValueError(f"appliance {a.name!r} names itself as its peer")
        # A peer missing from the inventory is not an error: that appliance is still captured, and the run
        # names the peer diff as not made (capture.shard.peer_gaps).
        return self

    def pairs(self) -> list[tuple[str, str]]:
        """The failover pairs to compare: both peers in the inventory, each pair once."""
        names = {a.name for a in self.appliance}
        seen: set[str] = set()
        out = []
        for a in self.appliance:
            if a.peer and a.peer in names and a.name not in seen:
                out.append((a.name, a.peer))
                seen |= {a.name, a.peer}
        return out


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of the key at a pydantic error location in the TOML text."""
    lines = text.splitlines()
    table: list[str] = []
    counts: dict[str, int] = {}
    want_table = [str(p) for p in loc[:-1] if not isinstance(p, int)]
    want_index = next((p for p in loc if isinstance(p, int)), None)
    key = str(loc[-1]) if loc else ""
    index_here = None
    for n, line in enumerate(lines, 1):
        s = line.strip()
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", s) or re.match(r"^\[\s*([^\]]+?)\s*\]", s)
        if m:
            table = [p.strip().strip('"') for p in m.group(1).split(".")]
            if s.startswith("[["):
                counts[table[0]] = counts.get(table[0], -1) + 1
            index_here = counts.get(table[0])
            if table == [*want_table, key] and (want_index is None or index_here == want_index):
                return n
            continue
        k = re.match(r"^([A-Za-z0-9_\"-]+)\s*=", s)
        if k and k.group(1).strip('"') == key and table == want_table and (want_index is None or index_here == want_index):
            return n
    return None


def load(path: Path | str, overrides: dict[str, Any] | None = None) -> Inventory:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: inventory file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the inventory: {e}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse(raw, text=text, source=str(path), base=path.parent, overrides=overrides)


def parse(raw: dict[str, Any], *, text: str = "", source: str = "inventory", base: Path = Path("."),
          overrides: dict[str, Any] | None = None) -> Inventory:
    raw = dict(raw)
    defaults = raw.get("defaults", {}) if isinstance(raw.get("defaults"), dict) else {}
    apps = raw.get("appliance", [])
    if isinstance(apps, list):
        raw["appliance"] = [_deep_merge(defaults, a) if isinstance(a, dict) else a for a in apps]
    try:
        inv = Inventory.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        line = _line_of(text, loc) if text else None
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        at = f"{source}:{line}" if line else source
        more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise ConfigError(f"{at}: {where or 'inventory'}: {msg}{more}") from None
    inv = _resolve_paths(inv, base)
    over = {k: v for k, v in (overrides or {}).items() if v is not None}
    return inv.model_copy(update=over) if over else inv


def _resolve_paths(inv: Inventory, base: Path) -> Inventory:
    def fix(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (base / p)

    apps = [a.model_copy(update={"labels": fix(a.labels), "tls": a.tls.model_copy(update={"ca_file": fix(a.tls.ca_file)})})
            for a in inv.appliance]
    archive = inv.archive.model_copy(update={"folder": fix(inv.archive.folder)})
    if archive.catalog and "://" not in archive.catalog:
        archive = archive.model_copy(update={"catalog": str(fix(Path(archive.catalog)))})
    history = inv.history.model_copy(update={"git": fix(inv.history.git)})
    sign = inv.sign if not inv.sign or inv.sign.startswith(("keyring:", "env:")) else str(fix(Path(inv.sign)))
    return inv.model_copy(update={"appliance": apps, "labels": fix(inv.labels), "output": fix(inv.output),
                                  "archive": archive, "history": history, "sign": sign})
