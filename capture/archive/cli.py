"""`bt-capture archive` and its `search` and `verify` subcommands: parse, call one function, map exit codes."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from capture.commands import fail, guarded
from capture import shard as shard_mod
from capture.errors import ConfigError

EXIT_CODES = """\b
Exit codes:
  0  every session and recording archived (aged-out recordings are recorded, not failures)
  1  finished, but some items failed; they are fetched again on the next run
  2  bad input: inventory, options, no API account, no reporting permission,
     an unwritable archive folder, a damaged state file, a catalog URL with a password
  3  could not reach or authenticate to any appliance of a site
  130 interrupted; finished files are intact, unfinished ones are fetched again
"""


def _day(value: str | None, name: str) -> int | None:
    if not value:
        return None
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}: give a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM), not {value!r}") from None
    return int((d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)).timestamp())


def _setup(inventory: str, folder: str | None, catalog: str | None) -> tuple[Any, Path, str]:
    from capture import config
    from capture.archive import run as arun

    inv = config.load(inventory)
    root = arun.root_of(inv, Path(folder) if folder else None)
    return inv, root, arun.catalog_of(inv, root, catalog)


_inventory = click.option("-i", "--inventory", type=click.Path(dir_okay=False), help="The TOML inventory.")
_folder = click.option("--archive-dir", "folder", type=click.Path(file_okay=False),
                       help="The archive folder (overrides [archive] folder; default <output>/archive).")
_catalog = click.option("--catalog", metavar="PATH|URL",
                        help="A SQLite file or a postgresql:// URL without password (overrides [archive] catalog).")


@click.group("archive", invoke_without_command=True, epilog=EXIT_CODES)
@_inventory
@_folder
@_catalog
@click.option("--since", metavar="DATE", help="List sessions from this date (default: the watermark, or 90 days).")
@click.option("--until", metavar="DATE", help="List sessions up to this date (default: now).")
@click.option("--shard", metavar="I/N", help="Archive the I-th of N slices of the sites (placed as `run --shard` places them), or auto.")
@click.option("--only", multiple=True, metavar="SITE", help="Archive only these sites (repeatable).")
@click.option("--prune-older-than", "prune_days", type=click.IntRange(1), metavar="DAYS",
              help="Then delete local files of sessions older than DAYS; the catalog lists them as pruned.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True)
@click.option("-v", "--verbose", count=True)
@click.pass_context
@guarded
def archive(ctx: click.Context, inventory: str | None, folder: str | None, catalog: str | None, since: str | None,
            until: str | None, shard: str | None, only: tuple[str, ...], prune_days: int | None, as_json: bool,
            quiet: bool, verbose: int) -> None:
    """Archive support sessions and their recordings through the Reporting API (what the NSB leaves out).

    \b
    Examples:
      bt-capture archive -i sites.toml
      bt-capture archive -i sites.toml --since 2026-01-01 --shard 1/2 --catalog postgresql://btc@db/archive
      bt-capture archive search -i sites.toml --person jdoe --date 2026-03-02
      bt-capture archive verify -i sites.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    if not inventory:
        raise ConfigError("archive: give the inventory with -i sites.toml")
    from capture import app as runapp
    from capture.archive import run as arun
    from capture.archive import upkeep
    from capture.archive.catalog import Catalog
    from capture.redact import Redactor

    inv, root, url = _setup(inventory, folder, catalog)
    redactor = Redactor()
    runapp.setup_logging(redactor, verbose, quiet or as_json)
    sites = arun.sites_of(inv)
    unknown = set(only) - {s.name for s in sites}
    if unknown:
        raise ConfigError(f"--only: no such site in the inventory: {', '.join(sorted(unknown))}")
    sites = [s for s in sites if not only or s.name in only]
    chosen = shard_mod.parse(shard, os.environ)
    if chosen is not None:  # placed by site hostname, as `bt-capture run --shard` places a site's appliances
        sites = [s for s in sites if shard_mod.place(s.name.lower(), chosen.total) == chosen.index]
        shard = f"{chosen.index}/{chosen.total}"
    try:
        results = arun.run(inv, sites, root=root, catalog_url=url, redactor=redactor, since=_day(since, "--since"),
                           until=_day(until, "--until"), shard=shard or "")
    except KeyboardInterrupt:
        fail("interrupted; finished files are intact, unfinished ones are fetched again on the next run", 130)
    cat = Catalog(url)
    try:
        pruned = upkeep.prune(cat, root, prune_days, [s.name for s in sites]) if prune_days else []
        summary = upkeep.write_summary(cat, Path(inv.output) / upkeep.SUMMARY, root)
    finally:
        cat.close()
    _report(results, pruned, summary, as_json)
    sys.exit(max([r.exit_code for r in results], default=0))


def _report(results: list[Any], pruned: list[str], summary: Path, as_json: bool) -> None:
    rows = [{"site": r.site, "exit_code": r.exit_code, "appliance": r.appliance, "error": r.error,
             "sessions": r.tally.sessions, "running": r.tally.running, "skipped": r.tally.skipped,
             "files": r.tally.files, "bytes": r.tally.bytes, "aged_out": r.tally.aged_out,
             "retries": r.retries, "failures": r.tally.failures, "log": r.log} for r in results]
    if as_json:
        click.echo(json.dumps({"exit_code": max([r["exit_code"] for r in rows], default=0), "sites": rows,
                               "pruned": len(pruned), "summary": str(summary)}, indent=2))
        return
    for r in rows:
        if r["error"]:
            click.echo(f"bt-capture: {r['error']}", err=True)
            continue
        click.echo(f"{r['site']:<28} {r['sessions']} new session(s), {r['files']} file(s), "
                   f"{r['bytes'] / 1e6:.1f} MB, {r['aged_out']} aged out, {r['running']} running, "
                   f"{r['retries']} retries, {len(r['failures'])} failure(s) [{r['appliance']}]")
        for f in r["failures"][:20]:
            click.echo(f"  ✗ {f}")
    if pruned:
        click.echo(f"pruned {len(pruned)} local file(s); the catalog lists them as pruned")


@archive.command("search")
@_inventory
@_folder
@_catalog
@click.option("--date", help="Sessions that began on this day (YYYY-MM-DD).")
@click.option("--from", "day_from", help="…on or after this day.")
@click.option("--to", "day_to", help="…on or before this day.")
@click.option("--person", help="A representative or customer (username or name, any part).")
@click.option("--text", "words", help="Words anywhere in the session (chat, issue, host, ticket).")
@click.option("--site", "sites", multiple=True)
@click.option("--json", "as_json", is_flag=True)
@guarded
def search_cmd(inventory: str | None, folder: str | None, catalog: str | None, date: str | None,
               day_from: str | None, day_to: str | None, person: str | None, words: str | None,
               sites: tuple[str, ...], as_json: bool) -> None:
    """Find archived sessions by date, person or text."""
    from capture.archive.catalog import Catalog

    cat = _open(inventory, folder, catalog, Catalog)
    try:
        rows = cat.search(day_from=date or day_from, day_to=date or day_to, person=person, words=words,
                          sites=list(sites) or None)
    finally:
        cat.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        when = dt.datetime.fromtimestamp(r["start_time"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        files = ", ".join(f"{f['name']}:{f['status']}" for f in r["files"])
        click.echo(f"{when} {r['site']} {r['lsid']} {r['status']:<8} {r['primary_rep']} → {r['customer']} "
                   f"({r['customer_host']})  {r['folder']}  [{files}]")
    click.echo(f"{len(rows)} session(s)")


@archive.command("verify")
@_inventory
@_folder
@_catalog
@click.option("--json", "as_json", is_flag=True)
@guarded
def verify_cmd(inventory: str | None, folder: str | None, catalog: str | None, as_json: bool) -> None:
    """Re-hash every archived file against the catalog; exit 1 when one is missing or differs."""
    from capture.archive import upkeep
    from capture.archive.catalog import Catalog

    root = _root(inventory, folder)
    cat = _open(inventory, folder, catalog, Catalog)
    try:
        rows = upkeep.verify(cat, root)
    finally:
        cat.close()
    bad = [r for r in rows if r["verdict"] not in ("ok", "pruned", "aged_out")]
    if as_json:
        click.echo(json.dumps({"ok": not bad, "files": rows}, indent=2))
    else:
        for r in bad:
            click.echo(f"✗ {r['path']}: {r['verdict']}")
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        click.echo(", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "the catalog lists no files")
    sys.exit(1 if bad else 0)


def _root(inventory: str | None, folder: str | None) -> Path:
    if folder:
        return Path(folder)
    if not inventory:
        raise ConfigError("give the inventory (-i) or the archive folder (--archive-dir)")
    return _setup(inventory, None, None)[1]


def _open(inventory: str | None, folder: str | None, catalog: str | None, cls: Any) -> Any:
    if inventory:
        _, _, url = _setup(inventory, folder, catalog)
    elif catalog or folder:
        url = catalog or str(Path(folder or ".") / "catalog.sqlite")
    else:
        raise ConfigError("give the inventory (-i), --archive-dir or --catalog")
    if "://" not in url and not Path(url).exists():
        raise ConfigError(f"no catalog at {url}; run `bt-capture archive` first")
    return cls(url)
