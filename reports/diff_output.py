"""A comparison written out: diff.json, diff.html (images beside it), diff.pdf, and the plain-text summary."""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from capture.records import PageRecord
from reports import visual
from reports.files import write_atomic
from reports.diff import DiffResult, Side

TEMPLATES = Path(__file__).with_name("templates")


def _words(v: Side, p: PageRecord) -> list[dict[str, Any]]:
    if v.folder is None:
        return []
    path = v.folder / p.ocr.words_path if p.ocr and p.ocr.words_path else None
    if path is None or not path.is_file():  # older snapshots: ocr/<name>__<flow>.words.json
        path = next(iter(sorted((v.folder / "ocr").glob(f"*{p.flow}.words.json"))), None)
    return visual.load_words(path)


def _volatile_values(result: DiffResult, flow: str, side: str) -> list[str]:
    out = []
    for d in result.differences:
        value = getattr(d, side)
        if d.flow != flow or d.cls != "volatile" or not value:
            continue
        if d.change in ("added", "removed"):  # a whole row: "Header: cell; Header: cell"
            out += [part.split(": ", 1)[-1] for part in value.split("; ")]
        else:
            out.append(value)
    return out


def _volatile_boxes(result: DiffResult, flow: str, side: str) -> list[tuple[int, int, int, int]]:
    """Where the settings model says a volatile value stands (x0, y0, x1, y1): ignored even without OCR."""
    out = []
    for d in result.differences:
        box = getattr(d, f"box_{side}")
        if d.flow == flow and d.cls == "volatile" and box:
            x, y, w, h = box
            out.append((x, y, x + w, y + h))
    return out


def visuals(result: DiffResult, va: Side, vb: Side, out: Path) -> list[dict[str, Any]]:
    """One pixel comparison per page both snapshots have a screenshot of; images only where pixels differ."""
    jobs = []
    for flow in dict.fromkeys([p.flow for p in va.snapshot.pages] + [p.flow for p in vb.snapshot.pages]):
        pa, pb = va.snapshot.page(flow), vb.snapshot.page(flow)
        if not (pa and pb and pa.screenshot and pb.screenshot and va.folder and vb.folder):
            continue
        fa, fb = va.folder / pa.screenshot, vb.folder / pb.screenshot
        if fa.is_file() and fb.is_file():
            jobs.append((flow, pa, pb, fa, fb))

    def one(job: tuple[str, PageRecord, PageRecord, Path, Path]) -> dict[str, Any]:
        flow, pa, pb, fa, fb = job
        row: dict[str, Any] = {"flow": flow, "title": pa.title, "regions": [], "ignored_cells": 0, "overlay": None,
                               "image_a": None, "image_b": None, "ocr": False, "error": None}
        if pa.screenshot_sha256 and pa.screenshot_sha256 == pb.screenshot_sha256:
            return row
        wa, wb = _words(va, pa), _words(vb, pb)
        try:
            vd = visual.render(fa, fb, out / "images", flow,
                               ignore_a=visual.value_boxes(wa, _volatile_values(result, flow, "a"))
                               + _volatile_boxes(result, flow, "a"),
                               ignore_b=visual.value_boxes(wb, _volatile_values(result, flow, "b"))
                               + _volatile_boxes(result, flow, "b"),
                               words_a=[visual.word_box(w) for w in wa], words_b=[visual.word_box(w) for w in wb])
        except Exception as e:  # noqa: BLE001 - a damaged screenshot: say so, compare the rest
            return row | {"error": f"{type(e).__name__}: {e}"}
        return row | vd.to_dict(out) | {"ocr": bool(wa and wb)}

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:  # Pillow releases the GIL
        return list(pool.map(one, jobs))


def text_summary(result: DiffResult, paths: dict[str, Any] | None = None) -> str:
    lines = [f"{result.a} ↔ {result.b}  ({result.mode}: {result.mode_reason})", f"verdict: {result.verdict}"]
    for d in result.must_match:
        lines.append(f"  ✗ [{d.change}] {d.page} › {d.section} › {d.label}: {d.a!r} → {d.b!r}")
    review = result.of("review")
    if review:
        lines.append(f"worth a look (per appliance, usually kept aligned): {len(review)}")
        lines += [f"  ~ {d.page} › {d.section} › {d.label}: {d.a!r} → {d.b!r}" for d in review[:20]]
        if len(review) > 20:
            lines.append(f"  ~ … and {len(review) - 20} more (diff.html)")
    exp = result.of("expected")
    if exp:
        labels = sorted({d.label for d in exp})
        lines.append(f"expected to differ: {len(exp)} ({'; '.join(labels[:12])}{'; …' if len(labels) > 12 else ''})")
    lines.append(f"volatile, ignored: {len(result.of('volatile'))}")
    fo = result.failover
    if fo.get("checked"):
        roles = ", ".join(f"{k}: {v or 'unknown'}" for k, v in fo["roles"].items())
        lines.append(f"failover: {roles}; backup operations "
                     f"{ {True: 'enabled', False: 'DISABLED', None: 'unknown'}[fo['backup_operations']] }; "
                     f"last sync {fo['last_sync'] or 'unknown'} ({fo['last_sync_status'] or 'no status'}), "
                     f"interval {fo['sync_interval'] or 'unknown'}")
        lines += [f"  ! {w}" for w in fo["warnings"]]
    lines += [f"  ! {w}" for w in result.warnings]
    for key in ("html", "pdf", "json"):
        if paths and paths.get(key):
            lines.append(f"{key}: {paths[key]}")
    return "\n".join(lines)


def render_html(result: DiffResult, va: Side, vb: Side, vis: list[dict[str, Any]] | None) -> str:
    import jinja2

    from markupsafe import Markup

    from reports.pdf import css_string

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["css_string"] = lambda v: Markup(css_string(str(v)))  # hex-escaped: safe inside <style>
    snaps = []
    for label, v in ((result.a, va), (result.b, vb)):
        s = v.snapshot
        snaps.append({"label": label, "name": s.name, "host": s.appliance_hostname, "role": s.role,
                      "serial": s.identity.serial_number, "version": s.product_version,
                      "appliance_version": s.identity.appliance_version, "started": s.started_at,
                      "failures": len(s.failures)})
    return env.get_template("diff.html").render(
        r=result, snaps=snaps, visuals=vis, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        must=result.must_match, review=result.of("review"), expected=result.of("expected"),
        volatile=result.of("volatile"))


def write_all(result: DiffResult, va: Side, vb: Side, out: Path, *, visual: bool = True,
              pdf: bool = True) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    vis = visuals(result, va, vb, out) if visual else None
    paths: dict[str, Any] = {"folder": out, "json": out / "diff.json", "html": out / "diff.html", "pdf": None}
    data = result.to_dict() | {"visual": vis, "verdict": result.verdict}
    write_atomic(paths["json"], json.dumps(data, indent=2, default=str, ensure_ascii=False))
    write_atomic(paths["html"], render_html(result, va, vb, vis))
    if pdf:
        from reports.pdf import print_to_pdf

        try:
            print_to_pdf(paths["html"], out / "diff.pdf")
            paths["pdf"] = out / "diff.pdf"
        except Exception as e:  # noqa: BLE001 - the HTML and JSON stand; say why the PDF is missing
            result.warnings.append(f"diff.pdf was not written: {type(e).__name__}: {str(e).splitlines()[0]}")
            write_atomic(paths["json"], json.dumps(result.to_dict() | {"visual": vis}, indent=2, default=str,
                                                   ensure_ascii=False))
    return paths
