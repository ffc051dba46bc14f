"""The typed settings of one snapshot: what each captured value means, and where on which page it was read."""
from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from flows.settings.values import M, Flag, Hardware, Items, Secret, Setting, Source, Text  # noqa: F401 (re-exported)

SETTINGS_VERSION = 1


class Identity(M):
    appliance_version: Text = Text()
    serial_number: Text = Text()
    base_software_version: Text = Text()
    system_time: Text = Text()
    uptime: Text = Text()
    model: Text = Text()
    hostname: Text = Text()
    site_hostname: Text = Text()  # /login Status > Information: on cloud sites the one name the site shows


class Address(M):
    KEY: ClassVar[tuple[str, ...]] = ("address",)
    address: str
    prefix: str | None = None
    enabled: bool | None = None
    type: str | None = None
    src: Source | None = None


class Nic(M):
    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    mac: Hardware = Hardware()
    link: Text = Text()  # live link state, not a setting
    speed: Text = Text()
    duplex: Text = Text()
    media: Text = Text()  # the configured speed/duplex setting
    addresses: list[Address] = []
    src: Source | None = None


class Network(M):
    hostname: Text = Text()
    gateway4: Text = Text()
    gateway6: Text = Text()
    dns_servers: Items = Items()
    search_domains: Items = Items()
    nics: list[Nic] = []


class Route(M):
    KEY: ClassVar[tuple[str, ...]] = ("destination", "prefix")
    destination: str
    prefix: str | None = None
    gateway: str | None = None
    interface: str | None = None
    src: Source | None = None


class Snmp(M):
    v2_enabled: Flag = Flag()
    v3_enabled: Flag = Flag()
    communities: list[Secret] = []
    location: Text = Text()
    contact: Text = Text()
    allowed: Items = Items()  # addresses allowed to query (blank: any)
    v3_username: Text = Text()
    v3_auth_protocol: Text = Text()
    v3_privacy_protocol: Text = Text()
    v3_secrets: list[Secret] = []


class Certificate(M):
    """One row of the installed-certificates table."""

    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    friendly_name: str | None = None
    issuer: str | None = None
    sans: list[str] = []
    ips: list[str] = []  # the IP addresses this appliance binds the certificate to
    private_key: bool | None = None
    expires: str | None = None
    expires_on: date | None = None
    default: bool | None = None
    notes: list[str] = []  # warnings the page appends to the name
    row: int | None = None
    src: Source | None = None


class Check(M):
    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    passed: bool | None = None  # None: not checked (and why is in detail)
    detail: str = ""


class Candidate(M):
    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    qualifies: bool
    checks: list[Check] = []


class SiteChoice(M):
    """Which installed certificate is the site certificate (seed steps 3-4), and why."""

    name: str | None = None  # None: none qualifies
    row: int | None = None
    reason: str = ""
    hostnames: list[str] = []  # the names looked for in Alternative Names
    own_addresses: list[str] = []  # the appliance's own addresses, from its IP Configuration page
    addresses_from: str = ""  # where own_addresses came from, or why there are none
    candidates: list[Candidate] = []
    decided_by: Literal["export", "page"] = "page"  # chosen for the .p12 export, or read back from the page


class ChainCert(M):
    """One certificate of the exported chain, leaf first (compared by position)."""

    subject: str = ""
    issuer: str = ""
    sha256: str = ""
    not_after: str | None = None


class Exported(M):
    """The exported .p12 as verified at capture time."""

    subject: Text = Text()
    issuer: Text = Text()
    sans_dns: Items = Items()
    sans_ip: Items = Items()
    serial: Text = Text()
    not_before: Text = Text()
    not_after: Text = Text()
    sha256: Text = Text()
    sha1: Text = Text()
    spki_sha256: Text = Text()
    key: Text = Text()
    chain: list[ChainCert] = []


class Presented(M):
    """The certificate the appliance presented over TLS when bt-capture connected."""

    sha256: Text = Text()
    subject: Text = Text()
    issuer: Text = Text()
    sans: Items = Items()
    not_after: Text = Text()


class Certificates(M):
    installed: list[Certificate] = []
    site: SiteChoice | None = None
    exported: Exported | None = None
    presented: Presented | None = None


class Protocol(M):
    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    enabled: bool | None = None
    src: Source | None = None


class Cipher(M):
    """One cipher suite; the order that counts is the order of the enabled ones (clients get them in it)."""

    KEY: ClassVar[tuple[str, ...]] = ("name",)
    ORDER_OF: ClassVar[str] = "enabled"
    name: str
    enabled: bool | None = None
    position: int
    src: Source | None = None


class Tls(M):
    protocols: list[Protocol] = []
    ciphers: list[Cipher] = []


class Syslog(M):
    servers: Items = Items()
    format: Text = Text()


class Agreement(M):
    enabled: Flag = Flag()
    title: Text = Text()
    text: Text = Text()


class Administration(M):
    syslog: Syslog = Syslog()
    agreement: Agreement = Agreement()
    restrictions: list[Setting] = []  # account, network and port restrictions, as the page words them


class Email(M):
    relay: Text = Text()
    port: Text = Text()
    encryption: Text = Text()
    authentication: Text = Text()
    username: Text = Text()
    password: Secret = Secret()
    sender: Text = Text()
    recipients: Items = Items()


class Software(M):
    product_version: Text = Text()
    product_build: Text = Text()
    api_version: Text = Text()


class Event(M):
    KEY: ClassVar[tuple[str, ...]] = ("time", "event")
    time: str = ""
    event: str = ""


class Failover(M):
    role: Text = Text()  # primary, backup or none
    role_shown: str | None = None  # the page's own wording of the role
    status_role: Text = Text()  # the role /login's Status page shows (primary, backup or none)
    hostname: Text = Text()  # this appliance, as the Failover page names it
    peer_hostname: Text = Text()
    peer_role: Text = Text()  # primary, backup or none
    peer_role_shown: str | None = None  # the peer's status as the page words it ("Unreachable" …)
    last_status_check: Text = Text()
    backup_operations: Flag = Flag()
    automatic_failover: Flag = Flag()
    sync_interval: Text = Text()
    bandwidth_limit: Text = Text()
    last_sync: Text = Text()
    last_sync_status: Text = Text()
    settings: list[Setting] = []  # the other settings of the Failover page (timeouts, test addresses …)
    history: list[Event] = []


class ApiAccount(M):
    KEY: ClassVar[tuple[str, ...]] = ("name",)
    name: str
    client_id: str | None = None
    permissions: list[str] = []
    enabled: bool | None = None
    src: Source | None = None


class Login(M):
    software: Software | None = None
    failover: Failover | None = None
    preshared_key: Secret | None = None  # the Inter-appliance Pre-shared Key: set or not (failover does not sync it)
    api_enabled: Flag = Flag()
    api_accounts: list[ApiAccount] = []


class Settings(M):
    """One snapshot's settings. A part is None when its page was not captured (or the deployment has none)."""

    schema_version: int = SETTINGS_VERSION
    identity: Identity = Identity()
    network: Network | None = None
    routes: list[Route] | None = None
    snmp: Snmp | None = None
    certificates: Certificates | None = None
    tls: Tls | None = None
    administration: Administration | None = None
    email: Email | None = None
    login: Login = Login()
    other: list[Setting] = Field(default=[], description="every value of a captured page that no part above "
                                 "names, with its label as shown")
    notes: list[str] = []  # what the reading could not decide (shown in the dossier)
