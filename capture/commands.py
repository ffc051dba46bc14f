"""The bt-capture commands besides `simulate`: each parses, calls one function, and maps errors to exit codes."""
from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from capture import summary
from capture.errors import CaptureError, ConfigError
from fixtures.options import VERSIONS

EXIT_CODES = """\b
Exit codes:
  0  everything captured and verified
  1  the run finished, but some parts failed, or a history, push or signature it was asked for (named in the summary)
  2  bad input: inventory, options, missing secret, unwritable output
  3  could not reach or log in to an appliance
  130 interrupted (Ctrl-C); finished snapshots are intact, unfinished ones stay in .partial folders
"""


def fail(message: str, code: int) -> None:
    click.echo(f"bt-capture: {message}", err=True)
    sys.exit(code)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One clear line and the documented exit code for every expected failure; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*a: Any, **kw: Any) -> Any:
        try:
            return fn(*a, **kw)
        except CaptureError as e:
            fail(str(e), e.exit_code)
        except KeyboardInterrupt:
            fail("interrupted; finished snapshots are intact, unfinished ones were left as .partial folders", 130)
        except OSError as e:
            if e.errno == 28:  # ENOSPC
                fail(f"the disk is full ({e.filename or 'output folder'}); nothing incomplete was kept as complete", 2)
            fail(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "), 2)
        except Exception as e:  # a bug: say so in one line; -vv shows the traceback
            if os.environ.get("BTC_TRACEBACK") or "-vv" in sys.argv:
                raise
            fail(f"internal error: {type(e).__name__}: {e} (run with -vv for details)", 1)

    return wrapper


def _load(inventory: str, output: str | None, jobs: int | None) -> Any:
    from capture import config

    return config.load(inventory, overrides={"output": Path(output) if output else None, "jobs": jobs})


@click.command()
@click.option("-i", "--inventory", required=True, type=click.Path(dir_okay=False), help="The TOML inventory.")
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Where snapshot folders go (overrides output=).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Appliances captured at once (overrides jobs=).")
@click.option("--only", multiple=True, metavar="NAME", help="Capture only these appliances (repeatable).")
@click.option("--shard", metavar="I/N|auto[/N]",
              help="Capture the I-th of N slices of the inventory (failover peers and sites stay together); "
                   "auto: the index from the scheduler (Kubernetes Indexed Job, GitLab CI parallel, "
                   "BT_SHARD_INDEX/BT_SHARD_TOTAL from a GitHub Actions matrix).")
@click.option("--pair", is_flag=True, help="Treat the inventory's two appliances as failover peers and diff them.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run, keeping steps that already verify.")
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates (marked in the dossier).")
@click.option("--no-ocr", is_flag=True, help="Skip OCR of the screenshots.")
@click.option("--no-render", is_flag=True, help="Write snapshots only; no dossier HTML/PDF.")
@click.option("--dry-run", is_flag=True,
              help="Print which appliances this run would capture (after --only and --shard), and the peer "
                   "diffs it could not make; connect to nothing.")
@click.option("--history", "history_dir", type=click.Path(file_okay=False),
              help="Commit each appliance's settings as text to this git repository (overrides [history] git=).")
@click.option("--sign", "sign_key", metavar="KEY",
              help="Sign each snapshot's SHA256SUMS with this SSH private key file (or keyring:SERVICE/USER).")
@click.option("--record", "record", type=click.Path(file_okay=False), metavar="DIR",
              help="Also keep what each page was served, sanitized, as DIR/<appliance> (replay it with "
                   "`bt-capture replay`, check it with `bt-capture record --check`).")
@click.option("--record-assets", is_flag=True, help="With --record: images and fonts too.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, only results.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv: debug).")
@guarded
def run(inventory: str, output: str | None, jobs: int | None, only: tuple[str, ...], shard: str | None, pair: bool,
        resume: bool, insecure: bool, no_ocr: bool, no_render: bool, dry_run: bool, history_dir: str | None,
        sign_key: str | None, record: str | None, record_assets: bool, as_json: bool, quiet: bool,
        verbose: int) -> None:
    """Capture appliances into verified snapshots, dossiers, peer diffs and a binder.

    \b
    Examples:
      bt-capture run -i sites.toml
      bt-capture run -i sites.toml --jobs 4 --shard 2/3 --json
      bt-capture run -i sites.toml --shard auto/3   # Kubernetes Indexed Job with 3 completions
      BT_LOGIN_PASSWORD=… bt-capture run -i pair.toml --pair
    """
    from capture import app as runapp

    inv = _load(inventory, output, jobs)
    if history_dir:
        inv = inv.model_copy(update={"history": inv.history.model_copy(update={"git": Path(history_dir).absolute()})})
    if sign_key:
        inv = inv.model_copy(update={"sign": sign_key})
    if pair:
        if len(inv.appliance) != 2:
            raise ConfigError(f"--pair needs exactly two appliances in {inventory}, found {len(inv.appliance)}")
        a, b = inv.appliance
        inv = inv.model_copy(update={"appliance": [a.model_copy(update={"peer": b.name}),
                                                   b.model_copy(update={"peer": a.name})]})
    unknown = set(only) - {a.name for a in inv.appliance}
    if unknown:
        raise ConfigError(f"--only: not in the inventory: {', '.join(sorted(unknown))}")
    from capture import shard as shards

    part = shards.parse(shard, os.environ)
    names = [a.name for a in shards.select([a for a in inv.appliance if not only or a.name in only], part,
                                           universe=inv.appliance)]
    gaps = shards.peer_gaps(inv.appliance, names, only)
    if dry_run:
        summary.plan(names, gaps, part, as_json)
        return
    outcome = _run(inv, names, resume=resume, insecure=insecure, ocr=not no_ocr, render=not no_render,
                   quiet=quiet or as_json, verbose=verbose, gaps=gaps, shard=part,
                   record=Path(record) if record else None, record_assets=record_assets)
    summary.report(outcome, as_json, part)
    sys.exit(outcome.exit_code)


def _run(inv: Any, names: list[str], *, resume: bool, insecure: bool, ocr: bool, render: bool, quiet: bool,
         verbose: int, gaps: list[dict[str, str]] | None = None, shard: Any = None, record: Path | None = None,
         record_assets: bool = False) -> Any:
    from rich.console import Console

    from capture import app as runapp
    from capture.redact import Redactor
    from capture.runner import Options, Progress

    redactor = Redactor()
    runapp.setup_logging(redactor, verbose, quiet)
    if shard is not None:
        runapp.log.info("shard %s (from %s): %s", shard, shard.source, ", ".join(names) or "no appliance")
    console = Console(stderr=True)
    progress: Any = Progress() if quiet or not console.is_terminal else runapp.RichProgress(console)
    pool = None
    if ocr:
        from capture.ocr import OcrPool
        pool = OcrPool()
    try:
        opts = Options(resume=resume, insecure=insecure, progress=progress, ocr=pool, record=record,
                       record_assets=record_assets)
        if isinstance(progress, runapp.RichProgress):
            with progress:
                return asyncio.run(runapp.run(inv, opts, redactor=redactor, render=render, names=names, gaps=gaps))
        return asyncio.run(runapp.run(inv, opts, redactor=redactor, render=render, names=names, gaps=gaps))
    finally:
        if pool is not None:
            pool.close()


@click.command()
@click.argument("snapshot", type=click.Path(exists=True, file_okay=False))
@click.option("--passphrase-env", metavar="VAR", help="Environment variable holding the .p12 passphrase.")
@click.option("--signers", type=click.Path(exists=True, dir_okay=False),
              help="An ssh-keygen allowed_signers file (principal bt-capture): the keys a signature must come from.")
@click.option("--json", "as_json", is_flag=True)
@guarded
def verify(snapshot: str, passphrase_env: str | None, signers: str | None, as_json: bool) -> None:
    """Re-check a snapshot offline: every file against the manifest's SHA-256, then its format; a signed
    snapshot's signature, and every file altered, missing or added since it was signed.

    The .p12 passphrase is asked for only when the certificate file is there and intact
    (from --passphrase-env, or a prompt on a terminal).
    """
    from capture.verify import verify_snapshot

    def secrets(name: str) -> bytes | None:
        if passphrase_env:
            value = os.environ.get(passphrase_env)
            if not value:
                raise ConfigError(f"environment variable {passphrase_env} is not set")
            return value.encode()
        if sys.stdin.isatty():
            return click.prompt("p12 passphrase (empty to skip)", hide_input=True, default="",
                                show_default=False).encode() or None
        return None

    try:
        snap, checks = verify_snapshot(Path(snapshot), secrets)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    from capture import sign

    checks = [*sign.check(Path(snapshot), Path(signers) if signers else None), *checks]
    bad = [c for c in checks if c.status == "fail"]
    if as_json:
        click.echo(json.dumps({"snapshot": snapshot, "ok": not bad, "checks": [c.model_dump() for c in checks]}, indent=2))
    else:
        mark = {"pass": "✓", "warn": "!", "fail": "✗", "not_checked": "-"}
        for c in checks:
            click.echo(f"{mark[c.status]} {c.name}: {c.detail}")
        click.echo(f"{snapshot}: {'verified' if not bad else f'{len(bad)} failed check(s)'}")
    sys.exit(1 if bad else 0)


@click.command("flows")
@click.option("--deployment", type=click.Choice(["onprem", "cloud", "hosted"]), default="onprem", show_default=True)
@click.option("--labels", type=click.Path(dir_okay=False, exists=True), help="Your labels file, merged over ours.")
@click.option("--json", "as_json", is_flag=True)
@guarded
def flows_cmd(deployment: str, labels: str | None, as_json: bool) -> None:
    """List what is captured on each interface: menu paths (with version variants), landmarks, steps."""
    import flows
    from capture.config import Take
    from flows.base import Labels, Page

    lab = Labels.load(labels)
    plan = flows.plan(deployment, Take(nsb="both", sync_now=True), api_ready=True, labels=lab)
    out = []
    for iface, steps in plan.items():
        for st in steps:
            if isinstance(st, Page):
                out.append({"interface": iface, "flow": st.flow, "kind": "page",
                            "menu": [" | ".join(lab.variants(m)) for m in st.menu], "landmarks": list(st.landmarks)})
            else:
                out.append({"interface": iface, "flow": st.name, "kind": "step", "menu": [], "landmarks": [],
                            "doc": (type(st).__doc__ or st.name).strip().splitlines()[0]})
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    for row in out:
        where = " > ".join(row["menu"]) if row["kind"] == "page" else row.get("doc", "")
        click.echo(f"/{row['interface']:<10} {row['flow']:<46} {where}")


@click.command("config")
@click.option("-i", "--inventory", required=True, type=click.Path(dir_okay=False))
@click.option("--show", is_flag=True, default=True, help="Print the effective configuration (secrets masked).")
@guarded
def config_cmd(inventory: str, show: bool) -> None:
    """Validate an inventory and print the effective configuration; secrets show only where they come from."""
    inv = _load(inventory, None, None)
    data = json.loads(inv.model_dump_json())
    for a in data["appliance"]:
        for name, source in a["secrets"].items():
            if source.startswith("env:"):
                state = "set" if os.environ.get(source[4:]) else "NOT SET"
                a["secrets"][name] = f"{source} ({state})"
    click.echo(json.dumps(data, indent=2))


@click.command("ocr")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--page", "flow", help="The page the screenshots show (a flow name from `bt-capture flows`).")
@click.option("--json", "as_json", is_flag=True)
@guarded
def ocr_cmd(images: tuple[str, ...], flow: str | None, as_json: bool) -> None:
    """Turn screenshots taken by hand into the same structured records bt-capture makes."""
    import flows
    from capture.ocr import ocr_many, ocr_to_sections

    vocab = flows.vocabulary()
    if flow and flow not in vocab:
        raise ConfigError(f"--page: unknown flow {flow!r}; see `bt-capture flows`")
    words = sorted({w for f, ws in vocab.items() if not flow or f == flow for w in ws}, key=len, reverse=True)
    records = []
    for out in ocr_many([Path(p) for p in images]):
        if out.error:
            raise ConfigError(f"{out.path}: cannot read the image: {out.error}")
        sections = ocr_to_sections(out, words)
        records.append({"image": out.path, "engine": out.engine, "sections": [s.model_dump() for s in sections],
                        "text": out.text})
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    for r in records:
        click.echo(f"== {r['image']}")
        for s in r["sections"]:
            for f in s["fields"]:
                click.echo(f"  {f['label']}: {f['value']}")


@click.command()
@click.option("-o", "--out", "output", default="demo-out", show_default=True, type=click.Path(file_okay=False))
@click.option("--version", "version", type=click.Choice(list(VERSIONS)), default="25.1", show_default=True)
@guarded
def demo(output: str, version: str) -> None:
    """Start the simulated failover pair, capture both peers, render dossiers, diff and binder; then stop."""
    import shutil

    from capture import config
    from fixtures import SimOptions, Simulator
    from fixtures.inventory import write_inventory

    out = Path(output).resolve()  # the inventory resolves relative paths from its own folder
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, mode=0o700)
    sim = Simulator(SimOptions(pair=True, version=version)).start()
    try:
        inv_path, env = write_inventory(sim.info(), out, output=out / "snapshots", nsb="both")
        os.environ.update(env)
        inv = config.load(inv_path)
        outcome = _run(inv, [a.name for a in inv.appliance], resume=False, insecure=False, ocr=True, render=True,
                       quiet=False, verbose=0)
        destructive = sim.events(kind="destructive")
    finally:
        sim.stop()
    summary.report(outcome, False)
    click.echo(f"inventory: {inv_path}  (secrets came from environment variables)")
    click.echo(f"destructive actions seen by the simulator: {len(destructive)}")
    sys.exit(outcome.exit_code or (1 if destructive else 0))


COMMANDS = [run, verify, flows_cmd, config_cmd, ocr_cmd, demo]
