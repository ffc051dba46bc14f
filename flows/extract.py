"""Generic extractors: run extract.js on a page and turn its output into manifest sections."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from capture.records import REDACTED, Field, Section, Table
from flows.base import Labels

# Opening collapsed content a person would open to read it (<details>, "Show details" toggles is per
# page) and un-clipping inner scroll boxes, so the full-page screenshot shows what the DOM holds.
_PREPARE_JS = """
() => {
  // The page, its open shadow roots and its same-origin frames, innermost frames last.
  const roots = [];
  const visit = (root) => {
    roots.push(root);
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot);
      if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') {
        let d = null; try { d = el.contentDocument; } catch (e) { d = null; }
        if (d && d.body) visit(d);
      }
    }
  };
  visit(document);
  const styleOf = (el) => (el.ownerDocument.defaultView || window).getComputedStyle(el);
  const TEXTY = 'input:not([type]),input[type=text],input[type=email],input[type=url],input[type=number],input[type=search],input[type=tel]';
  for (const root of roots) {
    root.querySelectorAll('details:not([open])').forEach((d) => d.setAttribute('open', ''));
    const doc = root.ownerDocument || root;
    for (const el of root.querySelectorAll('*')) {
      const s = styleOf(el);
      if (!/(auto|scroll|hidden)/.test(s.overflowY + s.overflow) || el.scrollHeight <= el.clientHeight + 4) continue;
      if (el === doc.body || el === doc.documentElement) continue;
      el.style.setProperty('max-height', 'none', 'important');
      el.style.setProperty('height', 'auto', 'important');
      el.style.setProperty('overflow', 'visible', 'important');
    }
    // A value wider than its box, or a text taller than its area, is shown whole: the screenshot is the record.
    for (const el of root.querySelectorAll(TEXTY)) {
      if (el.scrollWidth > el.clientWidth + 2) {
        el.style.setProperty('width', Math.min(el.scrollWidth + 24, 1100) + 'px', 'important');
        el.style.setProperty('max-width', 'none', 'important');
      }
    }
    for (const el of root.querySelectorAll('textarea')) {
      if (el.scrollHeight > el.clientHeight + 2) {
        el.style.setProperty('height', (el.scrollHeight + 8) + 'px', 'important');
        el.style.setProperty('max-height', 'none', 'important');
      }
    }
  }
  // A frame as tall as what it holds, innermost first, so the page's screenshot shows the frame's content whole.
  for (const root of roots.slice(1).reverse()) {
    if (root.nodeType !== 9) continue;
    const frame = root.defaultView && root.defaultView.frameElement;
    const need = Math.max(root.documentElement.scrollHeight, root.body.scrollHeight);
    if (frame && need > frame.clientHeight + 2) {
      frame.style.setProperty('height', (need + 4) + 'px', 'important');
      frame.style.setProperty('max-height', 'none', 'important');
    }
  }
}
"""


@cache
def _extract_js(prepare: bool = False) -> str:
    js = (Path(__file__).with_name("extract.js")).read_text().strip().rstrip(";")
    if not prepare:
        return js
    return f"(o) => {{ ({_PREPARE_JS.strip()})(); return ({js})(o); }}"


@dataclass
class Extraction:
    sections: list[Section]
    secrets: list[str]  # raw secret values seen on the page: for scrubbing only, never stored
    title: str
    url: str


def _table(raw: dict[str, Any]) -> Table:
    rows = raw.get("rows") or []
    boxes = raw.get("boxes") or []
    return Table(title=raw.get("title") or "", headers=raw.get("headers") or [], rows=rows,
                 boxes=boxes if len(boxes) == len(rows) else [])


def _field(raw: dict[str, Any]) -> Field:
    if raw.get("secret"):
        return Field(label=raw["label"], value=REDACTED, kind=raw.get("kind", "text"), secret=True,
                     is_set=bool(raw.get("is_set")), box=raw.get("box"))
    return Field(label=raw["label"], value=raw.get("value"), kind=raw.get("kind", "text"), box=raw.get("box"))


async def extract(page: Any, labels: Labels, *, extra_secret: list[str] = (), page_title: str = "",
                  prepare: bool = False) -> Extraction:
    """Read the page; with `prepare`, first open what a person would open to read it (one script call)."""
    raw = await page.evaluate(_extract_js(prepare), {
        "secretPatterns": labels.secret_patterns, "notSecret": labels.not_secret,
        "extraSecret": list(extra_secret), "pageTitle": page_title,
        "headingPatterns": labels.heading_patterns, "logout": labels.login("logout"),
        "controlColumns": list(labels.data.get("settings", {}).get("control_columns", [])),
    })
    sections = [
        Section(title=s.get("title") or "", fields=[_field(f) for f in s.get("fields", [])],
                tables=[_table(t) for t in s.get("tables", [])], text=s.get("text", []))
        for s in raw["sections"]
    ]
    return Extraction(sections=sections, secrets=raw.get("secrets", []), title=raw.get("title", ""),
                      url=raw.get("url", ""))



async def controls(page: Any, labels: Labels, wanted: list[list[str]]) -> list[str | None]:
    """For each list of label variants, a selector of the form control a person would find by one of them
    (any markup), or None: one reading of the page marks every control with the label it reads as."""
    await extract(page, labels)
    sels = [[f'[data-btc-label="{_css_string(t)}" i]' for t in texts] for texts in wanted]
    found = await page.evaluate("(groups) => groups.map((g) => g.find((s) => document.querySelector(s)) || null)", sels)
    return list(found)


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
