"""`bt-capture render SNAPSHOT...`: re-render dossiers (and the binder) from stored snapshots, offline."""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import click

from capture.commands import guarded
from capture.errors import ConfigError


def diff_summary(path: Path) -> dict[str, Any]:
    """A peer diff summary from a stored diff.json (or the folder holding it), for the dossier and binder links."""
    path = Path(path)
    js = path / "diff.json" if path.is_dir() else path
    try:
        data = json.loads(js.read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(f"--diff {path}: cannot read diff.json: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--diff {path}: diff.json is not an object")
    out = {k: data.get(k) for k in ("a", "b", "verdict", "must_match")}
    out["json"] = str(js)
    html = js.with_name("diff.html")
    out["html"] = str(html) if html.exists() else None
    return out


@click.command("render")
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--binder", "binder_dir", type=click.Path(file_okay=False),
              help="Where index.html and binder.pdf go (default: the snapshots' common parent, when several).")
@click.option("--diff", "diffs", multiple=True, type=click.Path(exists=True),
              help="A peer diff (diff.json or its folder) to link and summarise (repeatable).")
@click.option("--html-only", is_flag=True, help="Write dossier.html only (no Chromium needed).")
@click.option("--browser", type=click.Path(dir_okay=False),
              help="The Chromium used for the PDFs (default: $BTC_CHROMIUM, else Debian's chromium-headless-shell, "
                   "else /usr/bin/chromium).")
@guarded
def render_cmd(snapshots: tuple[str, ...], binder_dir: str | None, diffs: tuple[str, ...], html_only: bool,
               browser: str | None) -> None:
    """Render dossier.html and dossier.pdf of each SNAPSHOT folder from its manifest.json alone.

    \b
    Examples:
      bt-capture render out/support.example.com_7.3.2_SN12345_base-7.3.2_2026-11-26T0238Z
      bt-capture render out/bt1_* out/bt2_* --diff out/diff-bt1-bt2
    """
    from reports import dossier

    folders = [Path(s) for s in snapshots]
    for f in folders:
        if not ((f / "manifest.json").is_file() or (f / "manifest.partial.json").is_file()):
            raise ConfigError(f"{f}: no manifest.json (is this a bt-capture snapshot folder?)")
    summaries = [diff_summary(Path(d)) for d in diffs]
    if html_only:
        for f in folders:
            click.echo(dossier.render_html(f, summaries))
        return
    root = Path(binder_dir) if binder_dir else Path(os.path.commonpath([f.resolve().parent for f in folders]))
    asyncio.run(dossier.render_all(folders, summaries, root, browser=Path(browser) if browser else None))
    for f in folders:
        click.echo(f / dossier.PDF)
    if len(folders) > 1:
        click.echo(root / "index.html")


@click.command("binder")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--html-only", is_flag=True, help="Write index.html only (no Chromium needed).")
@click.option("--browser", type=click.Path(dir_okay=False), help="The Chromium that prints binder.pdf.")
@click.option("--json", "as_json", is_flag=True, help="Print every appliance's newest snapshot and the pairs as JSON.")
@guarded
def binder_cmd(root: str, html_only: bool, browser: str | None, as_json: bool) -> None:
    """Rebuild index.html and binder.pdf of an output ROOT from the snapshot folders in it.

    Every run does this for its output folder; run it by hand after copying or deleting snapshots. It
    lists the newest finished snapshot of every appliance with the earlier ones under it, unfinished
    captures as partial, and the peer diffs. Safe while other runs write to ROOT (it takes a lock).

    \b
    Examples:
      bt-capture binder /srv/bt-capture/out
      bt-capture binder out --html-only --json
    """
    from reports import binder, binder_scan
    from reports.pdf import PdfRenderer

    async def go() -> Path:
        if html_only:
            return await binder.update(Path(root), None)
        async with PdfRenderer(Path(browser) if browser else None) as pdf:
            return await binder.update(Path(root), pdf)

    index = asyncio.run(go())
    if as_json:
        m = binder.model(binder_scan.scan(Path(root)), Path(root))
        click.echo(json.dumps({
            "index": str(index), "pdf": None if html_only else str(Path(root) / binder.PDF), "attention": m["bad"],
            "appliances": [{"name": a["label"], "site": a["site"], "newest": a["latest"]["name"],
                            "captured": a["latest"]["captured"], "outcome": a["outcome"], "problems": a["problems"],
                            "earlier": len(a["history"])} for a in m["apps"]],
            "pairs": [{"a": p["a"], "b": p["b"], "verdict": p["diff"]["verdict"] if p["diff"] else None,
                       "not_compared": p["reason"]} for p in m["pairs"]]}, indent=2))
        return
    click.echo(index)
    if not html_only:
        click.echo(Path(root) / binder.PDF)
