"""Snapshot folder → dossier.html (works alone, offline) → dossier.pdf; and the binder over a run."""
from __future__ import annotations

import asyncio
import logging
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from capture.browser import default_browser
from capture.errors import BrowserMissing, CaptureError
from reports import context, view
from reports.files import write_atomic
from reports.pdf import PdfRenderer

log = logging.getLogger("bt-capture")
HTML, PDF = "dossier.html", "dossier.pdf"


class RenderError(CaptureError):
    """A dossier could not be rendered; the others were, and no stale dossier was left looking current."""


@lru_cache(maxsize=1)
def templates() -> Environment:
    # Autoescaping everywhere: every value comes from an appliance and may hold markup.
    return Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(folder: Path, diffs: list[dict[str, Any]] | None = None) -> Path:
    """Write folder/dossier.html from folder/manifest.json (and the run's peer diff summaries); return its path."""
    folder = Path(folder)
    snap, partial = view.load(folder)
    html = templates().get_template("dossier.html.j2").render(**context.build(folder, snap, partial, diffs))
    return write_atomic(folder / HTML, html)


def titles(folder: Path) -> tuple[str, str, str]:
    """(title, header, footer) for the PDF page bars: what, whose, and which snapshot folder it came from."""
    snap, _ = view.load(folder)
    appliance = snap.appliance_hostname or snap.label or folder.name
    return (f"Recovery dossier · {appliance} · confidential",
            f"{snap.site_hostname or 'BeyondTrust site'} · {appliance} · captured {view.day(snap.started_at)}",
            snap.name or folder.name)


async def render_all(folders: list[Path], diffs: list[dict[str, Any]], output_root: Path, *,
                     browser: Path | None = None, running: Any = None, binder: bool | None = None) -> Path | None:
    """Each folder's dossier.html and dossier.pdf with one Chromium (`running`: one already up, e.g. the
    capture's, else one launched for it); then the binder of output_root (by default when there are several
    folders); returns its index.html."""
    folders = [Path(f) for f in folders]
    binder = len(folders) > 1 if binder is None else binder
    index = None
    errors: list[str] = []
    done: list[Path] = []
    for f in folders:
        # A dossier.pdf from an earlier render must not outlive a failed one: remove it first.
        (f / PDF).unlink(missing_ok=True)
        try:
            started = time.monotonic()
            render_html(f, diffs)
            log.info("%s: dossier.html in %.2f s", f.name, time.monotonic() - started)
            done.append(f)
        except Exception as e:  # one bad manifest must not cost the other appliances their dossiers
            (f / HTML).unlink(missing_ok=True)
            errors.append(f"{f.name}: {type(e).__name__}: {e}")
    if done or binder:
        browser = Path(browser or default_browser())
        if running is None and not browser.exists():
            raise BrowserMissing(f"Chromium not found at {browser}: dossier.html written, no PDF")
        async with PdfRenderer(browser, running=running) as pdf:
            # Two documents at a time: Chromium lays out one while it encodes the other's images.
            gate = asyncio.Semaphore(2)

            async def one(f: Path) -> None:
                async with gate:
                    try:
                        title, header, footer = titles(f)
                        seconds = await pdf.render(f / HTML, f / PDF, title=title, header=header, footer=footer)
                        log.info("%s: dossier.pdf in %.2f s", f.name, seconds)
                    except Exception as e:
                        (f / PDF).unlink(missing_ok=True)
                        errors.append(f"{f.name}: PDF: {type(e).__name__}: {e}")
            await asyncio.gather(*(one(f) for f in done))
            if binder:
                from reports import binder as root_binder

                index = await root_binder.update(Path(output_root), pdf, folders=folders, diff_folders=[
                    Path(d["json"]).parent for d in diffs if d.get("json") and Path(d["json"]).is_file()])
    if errors:
        raise RenderError("could not render " + "; ".join(errors))
    return index
