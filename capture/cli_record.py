"""The field-recording commands: `replay` (offline, from a recording) and `record --check` (before sharing one)."""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import click

from capture import summary
from capture.commands import guarded
from capture.errors import ConfigError


@click.command()
@click.argument("recording", type=click.Path())
@click.option("-o", "--output", default="replay-out", show_default=True, type=click.Path(file_okay=False),
              help="Where the replayed snapshots, dossiers and binder go.")
@click.option("--labels", type=click.Path(dir_okay=False, exists=True),
              help="Your labels file, merged over flows/labels.toml (to try label variants against a recording).")
@click.option("--no-ocr", is_flag=True, help="Skip OCR of the screenshots.")
@click.option("--no-render", is_flag=True, help="Write snapshots only; no dossier HTML/PDF.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, only results.")
@click.option("-v", "--verbose", count=True)
@guarded
def replay(recording: str, output: str, labels: str | None, no_ocr: bool, no_render: bool, as_json: bool,
           quiet: bool, verbose: int) -> None:
    """Run the capture's flows against a recording, offline: no network, no appliance.

    RECORDING is one appliance's recording (made by `run --record`) or a folder of them. The snapshot holds
    the pages and their settings model; the .p12, NSB and Vault key are marked "not in the recording".
    """
    from capture import app as runapp
    from capture import recording_index as index
    from capture import replay as rp
    from capture.redact import Redactor
    from capture.runner import Options

    for folder in index.recordings(Path(recording)):
        index.load(folder)  # bad input first: one line, exit 2, before a browser starts
    redactor = Redactor()
    runapp.setup_logging(redactor, verbose, quiet or as_json)
    pool = None
    if not no_ocr:
        from capture.ocr import OcrPool
        pool = OcrPool()
    try:
        outcome = asyncio.run(rp.replay(Path(recording), Path(output), Options(ocr=pool), redactor=redactor,
                                        labels=Path(labels) if labels else None, render=not no_render))
    finally:
        if pool is not None:
            pool.close()
    summary.report(outcome, as_json)
    sys.exit(outcome.exit_code)


@click.command()
@click.argument("recording", type=click.Path())
@click.option("--check", is_flag=True, help="Check a recording before sharing it (the only mode).")
@click.option("--secret-env", "secret_env", multiple=True, metavar="VAR",
              help="Also search for the value of this environment variable (your passwords, keys); repeatable.")
@click.option("--labels", type=click.Path(dir_okay=False, exists=True), help="Your labels file, merged over ours.")
@click.option("--json", "as_json", is_flag=True)
@guarded
def record(recording: str, check: bool, secret_env: tuple[str, ...], labels: str | None, as_json: bool) -> None:
    """Check a recording made by `run --record DIR`: its index matches its files, and the secret sweep finds
    nothing to remove (password and hidden input values, tokens in URLs, cookies, secret values you name).

    Exit 0: safe to share as far as the sweep can tell; 1: something to remove (listed, never its value);
    2: not an intact recording.
    """
    from capture import recording_index as index
    from capture.recording_check import check as check_one
    from flows.base import Labels

    if not check:
        raise ConfigError("record makes nothing itself: use `bt-capture run -i INVENTORY --record DIR` to record, "
                          "and `bt-capture record --check DIR` to check a recording")
    values = []
    for var in secret_env:
        if not os.environ.get(var):
            raise ConfigError(f"environment variable {var} is not set")
        values.append(os.environ[var])
    not_secret = Labels.load(labels).not_secret
    results = [check_one(f, secrets=values, not_secret=not_secret) for f in index.recordings(Path(recording))]
    if as_json:
        click.echo(json.dumps([{"recording": str(r.folder), "size": r.size, "files": r.files,
                                "ok": not r.findings, "findings": r.findings} for r in results], indent=2))
    else:
        for r in results:
            click.echo(f"{r.folder}: {r.files} files, {r.size / 1024:.0f} KiB: "
                       + ("nothing found; safe to share as far as the sweep can tell" if not r.findings else
                          f"{len(r.findings)} finding(s)"))
            for f in r.findings:
                click.echo(f"  ✗ {f}")
    sys.exit(1 if any(r.findings for r in results) else 0)
