"""Markup seen in random skins that once fooled the reader, each as a small page read by the real extract.js in
real Chromium: a value in an <output>, a required mark beside a label inside a frame, and a column of action
links in a table."""
from __future__ import annotations

import html
from typing import Any

from captools import run_async
from capture.browser import Browser, default_browser
from flows.base import Labels
from flows.extract import extract


async def _read(body: str) -> Any:
    browser = await Browser(default_browser()).start()
    try:
        ctx = await browser.context()
        page = await ctx.new_page()
        await page.set_content(f"<!doctype html><html><body>{body}</body></html>")
        await page.wait_for_load_state("load")
        return await extract(page, Labels.load())
    finally:
        await browser.close()


def _fields(ex: Any) -> dict[str, Any]:
    return {f.label: f.value for s in ex.sections for f in s.fields}


def _row(label: str, value: str, mark: str = "") -> str:
    # A label drawn bold by style, as form pages draw them; the reader knows labels by look, not by class.
    return (f'<div class="r"><div class="l" style="font-weight:600"><span>{label}</span>{mark}</div>'
            f'<div class="v">{value}</div></div>')


def test_a_value_in_an_output_element_is_read_beside_its_label() -> None:
    ex = run_async(_read("<section><h2>Export</h2>"
                         + _row("Issued to", "<output>support.example.test</output>")
                         + _row("Expires", "<output>Jan 06 2028</output>") + "</section>"))
    got = _fields(ex)
    assert got.get("Issued to") == "support.example.test", got
    assert got.get("Expires") == "Jan 06 2028", got


def test_a_required_mark_in_a_frame_is_neither_a_value_nor_a_label() -> None:
    mark = '<span aria-hidden="true"> *</span>'
    inner = ("<section><h2>Global network configuration</h2>"
             + _row("Hostname (FQDN)", '<input type="text" value="bt1.example.test">', mark)
             + _row("DNS servers", "<textarea>10.20.0.53\n10.20.0.54</textarea>", mark) + "</section>")
    for body in (inner, f'<iframe style="width:100%;height:400px" srcdoc="{html.escape(inner)}"></iframe>'):
        ex = run_async(_read(body))
        pairs = [(f.label, f.value) for s in ex.sections for f in s.fields]
        # Each label read once, with its control's value: the mark is no value of its own.
        assert pairs == [("Hostname (FQDN)", "bt1.example.test"), ("DNS servers", "10.20.0.53\n10.20.0.54")], \
            (body[:20], pairs)


def test_a_column_of_action_links_is_no_column_of_values() -> None:
    rows = "".join(f"<tr><td>{net}</td><td>10.20.30.1</td><td><a href='#' role='button'>Edit</a> "
                   f"<a href='#' role='button'>Delete</a></td></tr>" for net in ("10.50.0.0/16", "10.60.0.0/16"))
    ex = run_async(_read("<section><h2>Static routes</h2><table><tr><th>Network</th><th>Gateway</th>"
                         f"<th>Actions</th></tr>{rows}</table></section>"))
    tables = [t for s in ex.sections for t in s.tables]
    assert len(tables) == 1, ex
    t = tables[0]
    assert [r[:2] for r in t.rows] == [["10.50.0.0/16", "10.20.30.1"], ["10.60.0.0/16", "10.20.30.1"]], t
    cells = [c for r in t.rows for c in r]
    assert not any(c and ("Delete" in str(c) or "Edit" in str(c)) for c in cells), t
