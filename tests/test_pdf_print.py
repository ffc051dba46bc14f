"""Chromium's own --print-to-pdf (diff.pdf): offline, no script, running header and footer, failures reported."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import simhelpers
from reports.pdf import css_string, print_to_pdf

CSP = "default-src 'none'; img-src file: data:; style-src 'unsafe-inline'"


def _text(pdf: Path) -> str:
    simhelpers.require_tool("pdftotext")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_prints_offline_without_script_with_header_and_footer(tmp_path: Path) -> None:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    title = 'bt1 ↔ bt2 "</style><script>x</script>'
    html = tmp_path / "doc.html"
    html.write_text(f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<style>@page {{ size: A4; margin: 17mm 13mm;
  @top-left {{ content: {css_string(title)}; }}
  @bottom-right {{ content: "page " counter(page) " of " counter(pages); }} }}</style></head>
<body><h1 id="h">static heading</h1><script>document.getElementById('h').textContent = 'SCRIPT RAN';</script>
<img src="https://canary.example.test/beacon.png"><div style="break-before: page">second page</div></body></html>""")
    pdf = tmp_path / "doc.pdf"
    print_to_pdf(html, pdf)
    text = _text(pdf)
    assert "static heading" in text and "SCRIPT RAN" not in text
    assert text.count(title) == 2 and "page 1 of 2" in text and "page 2 of 2" in text
    assert pdf.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.html", "doc.pdf"]  # no temporary left


def test_css_string_cannot_leave_its_string_or_the_style_element() -> None:
    s = css_string('a"b\\c</style>\nd ↔')
    assert s.startswith('"') and s.endswith('"') and '"' not in s[1:-1]
    assert "<" not in s and "\n" not in s and "\\" in s


def test_a_browser_that_cannot_print_is_an_error_and_leaves_no_partial_file(tmp_path: Path) -> None:
    html = tmp_path / "doc.html"
    html.write_text("<p>x</p>")
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'ERROR: cannot print' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match="exit 3"):
        print_to_pdf(html, tmp_path / "doc.pdf", browser=fake)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium", "doc.html"]
