"""Markup seen in random skins that once fooled the reader, each as a small page read by the real extract.js in
real Chromium: a value in an <output>, a required mark beside a label inside a frame, a column of action links in
a table, and a value cut off by its box inside a frame (the screenshot must show it whole)."""
from __future__ import annotations

import html
from typing import Any

from captools import run_async
from capture.browser import Browser, default_browser
from flows.base import Labels
from flows.extract import extract


async def _read(body: str, prepare: bool = False, after: str = "") -> Any:
    """What extract.js reads of `body`; with `after`, also what that script then measures in the page."""
    browser = await Browser(default_browser()).start()
    try:
        ctx = await browser.context()
        page = await ctx.new_page()
        await page.set_content(f"<!doctype html><html><body>{body}</body></html>")
        await page.wait_for_load_state("load")
        ex = await extract(page, Labels.load(), prepare=prepare)
        return (ex, await page.evaluate(after)) if after else ex
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


def test_a_value_cut_off_by_its_box_in_a_frame_is_shown_whole() -> None:
    """Before the screenshot, an input too narrow for its value is widened and a frame too short for its content
    is lengthened, in same-origin frames as on the page itself (seen: "From Address" cut to "…@example.te")."""
    rows = "".join(f"<p><label>Line {i}: <input value='value {i}'></label></p>" for i in range(8))
    inner = ("<section><h2>Email Configuration</h2><p><label>From Address: "
             "<input style='width:90px' value='bt1.example.test@example.test'></label></p>" + rows + "</section>")
    measure = """() => {
      const f = document.querySelector('iframe'), d = f.contentDocument, i = d.querySelector('input');
      return {cut: i.scrollWidth - i.clientWidth, short: d.documentElement.scrollHeight - f.clientHeight};
    }"""
    ex, got = run_async(_read(f'<iframe style="width:600px;height:80px" srcdoc="{html.escape(inner)}"></iframe>',
                              prepare=True, after=measure))
    assert _fields(ex).get("From Address") == "bt1.example.test@example.test", _fields(ex)
    assert got["cut"] <= 2 and got["short"] <= 2, got


def _card(title: str, body: str) -> str:
    return f'<div class="card"><div style="font-weight:700">{title}</div><div class="body">{body}</div></div>'


def test_a_card_titles_its_labelled_outputs_and_its_one_named_radio_group() -> None:
    """A card's title div names its section when the card holds values its <label for> names, or one radio group
    with a name of its own (seen: "Licenses" values and "Enable XML API" read into the section above)."""
    def out(i: int, label: str, value: str) -> str:
        return (f'<div class="r"><span><label for="o{i}">{label}</label>:</span>'
                f'<div><output id="o{i}">{value}</output></div></div>')
    radios = ('<div class="r"><span><span id="g1">Enable XML API</span></span><div><span role="radiogroup" '
              'aria-labelledby="g1"><input type="radio" id="r1" name="api" checked disabled> <label for="r1">Enabled'
              '</label> <input type="radio" id="r2" name="api" disabled> <label for="r2">Disabled</label></span></div>'
              '</div>')
    # A bold row label beside a radio group it names (its aria-label differs only in case) is a pair, no title.
    enc = ('<div class="r"><div style="font-weight:700">SMTP encryption</div><div><span role="radiogroup" '
           'aria-label="SMTP Encryption"><input type="radio" id="e1" name="enc" disabled> <label for="e1">None</label>'
           ' <input type="radio" id="e2" name="enc" checked disabled> <label for="e2">STARTTLS</label></span></div>'
           '</div>')
    # The same, with the group's name in other words and only in its aria-label: the row label names the group.
    api = ('<div class="r"><div style="font-weight:700">API enabled</div><div><span role="radiogroup" '
           'aria-label="Enable API"><input type="radio" id="a1" name="a" checked disabled> <label for="a1">Enabled'
           '</label> <input type="radio" id="a2" name="a" disabled> <label for="a2">Disabled</label></span></div>'
           '</div>')
    ex = run_async(_read("<main><h1>Information</h1>"
                         + _card("Information", out(1, "Appliance Hostname", "bt1.example.test"))
                         + _card("Licenses", out(2, "Representative Licenses", "40") + out(3, "License Expiration",
                                                                                          "2026-06-30"))
                         + _card("XML API", radios)
                         + _card("Email configuration", enc + out(4, "SMTP port", "587") + api) + "</main>"))
    where = {f.label: s.title for s in ex.sections for f in s.fields}
    assert where.get("Representative Licenses") == "Licenses", where
    assert where.get("License Expiration") == "Licenses", where
    assert where.get("Enable XML API") == "XML API", where
    assert where.get("Appliance Hostname") == "Information", where
    assert {where.get("SMTP Encryption"), where.get("SMTP port"), where.get("Enable API")} == {"Email configuration"}, \
        where
