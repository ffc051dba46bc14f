"""`bt-capture archive`: every site of the inventory (or one shard), primary first and the backup as fallback."""
from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path

from capture.archive.catalog import Catalog
from capture.archive.client import ReportingClient
from capture.archive.layout import RunLog, SiteLock, SiteState, check_writable, private_dir
from capture.archive.site import SiteArchiver, Tally
from capture.config import Appliance, Inventory
from capture.errors import CaptureError, ConfigError, TlsUntrusted, Unreachable
from capture.redact import Redactor
from capture.secrets import SecretSource

log = logging.getLogger("bt-capture")


@dataclass
class Site:
    """Failover peers share /login data, so a site is archived once: from the primary, else the backup."""

    name: str
    apps: list[Appliance]
    secrets: dict[str, str] = field(default_factory=dict)  # appliance name → API client secret


@dataclass
class SiteResult:
    site: str
    exit_code: int = 0
    appliance: str = ""
    tally: Tally = field(default_factory=Tally)
    retries: int = 0
    error: str | None = None
    log: str = ""


def sites_of(inv: Inventory) -> list[Site]:
    by: dict[str, list[Appliance]] = {}
    for a in inv.appliance:
        by.setdefault(a.site, []).append(a)
    order = {"primary": 0, None: 1, "none": 1, "backup": 2}
    return [Site(name, sorted(apps, key=lambda a: order.get(a.role, 1))) for name, apps in by.items()]


def root_of(inv: Inventory, folder: Path | None = None) -> Path:
    return Path(folder or inv.archive.folder or Path(inv.output) / "archive")


def catalog_of(inv: Inventory, root: Path, url: str | None = None) -> str:
    return url or inv.archive.catalog or str(root / "catalog.sqlite")


def preflight(sites: list[Site], root: Path, redactor: Redactor) -> None:
    """Everything that is bad input fails here, before anything is fetched or changed."""
    source = SecretSource(redactor)
    for site in sites:
        for a in site.apps:
            if not a.accounts.api_client_id or a.secrets.api_client_secret == "none":
                raise ConfigError(f"{a.name}: no API account: set accounts.api_client_id and "
                                  "secrets.api_client_secret (an account with the reporting permission)")
            values, _ = source.resolve(a, ["api_client_secret"])
            site.secrets[a.name] = values["api_client_secret"]
    check_writable(root)
    for site in sites:
        SiteState(root / site.name)  # a damaged state file stops the run before it starts


async def archive_site(site: Site, inv: Inventory, root: Path, catalog: Catalog, redactor: Redactor, *,
                       since: int | None, until: int | None, shard: str) -> SiteResult:
    res = SiteResult(site.name)
    folder = private_dir(root / site.name)
    try:
        with SiteLock(folder):
            runlog = RunLog(folder, redactor.scrub)
            res.log = str(runlog.path)
            run_id = catalog.run_started(site.name, socket.gethostname(), shard)
            try:
                await _with_failover(site, inv, root, catalog, redactor, runlog, res, since, until)
            finally:
                res.retries = runlog.counts.get("retry", 0)
                runlog("finished", exit_code=res.exit_code, appliance=res.appliance, sessions=res.tally.sessions,
                       files=res.tally.files, bytes=res.tally.bytes, aged_out=res.tally.aged_out,
                       failures=len(res.tally.failures), retries=res.retries, error=res.error)
                runlog.close()
                catalog.run_finished(run_id, sessions=res.tally.sessions, files=res.tally.files,
                                     bytes=res.tally.bytes, retries=res.retries, failures=len(res.tally.failures),
                                     outcome=(res.error or ("ok" if res.exit_code == 0 else "some failures"))[:200])
    except CaptureError as e:
        res.exit_code, res.error = max(res.exit_code, e.exit_code), redactor.scrub(str(e))
    return res


async def _with_failover(site: Site, inv: Inventory, root: Path, catalog: Catalog, redactor: Redactor,
                         runlog: RunLog, res: SiteResult, since: int | None, until: int | None) -> None:
    state = SiteState(root / site.name)
    last_error: CaptureError | None = None
    for app in site.apps:
        client = ReportingClient(app, app.accounts.api_client_id or "", site.secrets[app.name],
                                 limit=inv.archive.concurrency, log=runlog, redact=redactor.add,
                                 retries=inv.archive.retries)
        try:
            async with client:
                await client.token()
                res.appliance = app.name
                runlog("started", appliance=app.name, since=since, until=until)
                archiver = SiteArchiver(site.name, client, catalog, root, state, inv.archive, runlog, app.name)
                try:
                    res.tally = await archiver.run(since, until)
                finally:
                    res.tally = archiver.tally
                res.exit_code = 1 if res.tally.failures else 0
                return
        except (Unreachable, TlsUntrusted) as e:
            if res.appliance:  # it answered before: no failover in the middle of a run
                raise
            last_error = e
            runlog("failover", appliance=app.name, why=str(e))
            log.warning("%s: %s; trying the next peer", site.name, e)
    assert last_error is not None
    raise last_error


def run(inv: Inventory, sites: list[Site], *, root: Path, catalog_url: str, redactor: Redactor,
        since: int | None, until: int | None, shard: str) -> list[SiteResult]:
    preflight(sites, root, redactor)
    catalog = Catalog(catalog_url)
    try:
        async def all_sites() -> list[SiteResult]:
            gate = asyncio.Semaphore(inv.jobs)

            async def one(site: Site) -> SiteResult:
                async with gate:
                    return await archive_site(site, inv, root, catalog, redactor, since=since, until=until, shard=shard)

            return list(await asyncio.gather(*(one(s) for s in sites)))

        return asyncio.run(all_sites())
    finally:
        catalog.close()

