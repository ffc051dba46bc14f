"""Layers 1 and 2: mask secrets by structure before every screenshot, and shoot only a settled page.

Masking does not depend on what extraction understood. mask.js covers, in the page, every same-origin
frame and every open shadow root: password inputs, anything whose label (by any cue) looks secret, and
anything showing a value known to be secret. Hosts of closed shadow roots are found through DevTools
(a page script cannot see them), blacked out whole and listed as gaps; so are frames of another origin.
What they hold is still read through DevTools, so that the other layers know those secrets too.

After the shot the page is scanned again: if the masks it would need now differ from the ones painted
(late content, a frame that loaded, a layout shift), the page is given time to settle, then masked and
shot again. A page that will not hold still is failed, never photographed half-masked.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from capture import screenshot
from capture.errors import CaptureError
from capture.layers import ALL, Layers

ATTEMPTS = 4
_PLACEHOLDERS = {"set", "not set", "unset", "none", "hidden", "configured", "not configured", "n/a", "(not set)",
                 "(hidden)", "(set)", "yes", "no", "on", "off", "enabled", "disabled"}


class UnsettledPage(CaptureError):
    """The page kept changing what needs masking; no screenshot was kept."""


@cache
def mask_js() -> str:
    """mask.js as a function declaration (DevTools' callFunctionOn takes it as it is)."""
    return Path(__file__).with_name("mask.js").read_text().strip()


@cache
def _page_js() -> str:
    """The same as an expression, which Playwright's evaluate calls with its argument."""
    return f"({mask_js()})"


# Resolve when no DOM change has happened for `quiet` ms (or after `most` ms) anywhere we can see.
_QUIET_JS = """
([quiet, most]) => new Promise((resolve) => {
  const roots = [];
  const visit = (root) => {
    roots.push(root);
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot);
      if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') {
        let d = null; try { d = el.contentDocument; } catch (e) { d = null; }
        if (d && d.documentElement) visit(d);
      }
    }
  };
  visit(document);
  let timer = null;
  const start = performance.now();
  const obs = roots.map(() => new MutationObserver(() => arm()));
  const done = () => { obs.forEach((o) => o.disconnect()); clearTimeout(timer); resolve(performance.now() - start); };
  const arm = () => {
    clearTimeout(timer);
    const left = most - (performance.now() - start);
    timer = setTimeout(done, Math.max(0, Math.min(quiet, left)));
  };
  roots.forEach((r, i) => obs[i].observe(r, { subtree: true, childList: true, attributes: true, characterData: true }));
  arm();
})
"""


@dataclass
class Shot:
    """A screenshot and what was done to keep secrets out of it (no values)."""

    png: bytes
    masked: list[dict[str, str]] = field(default_factory=list)  # {where, why, label}
    gaps: list[dict[str, str]] = field(default_factory=list)  # {where, what}
    values: list[str] = field(default_factory=list)  # secrets seen: for redaction only, never stored
    attempts: int = 1


def looks_secret(value: str) -> bool:
    """A value worth redacting everywhere: not a placeholder such as 'Not set' or a row of bullets."""
    v = value.strip()
    return len(v) >= 4 and v.lower() not in _PLACEHOLDERS and bool(v.strip("*•●·∙◦ .-_"))


def _closed_pairs(doc: dict[str, Any]) -> list[tuple[int, int]]:
    """(host, closed shadow root) node ids in a DOM.getDocument(pierce) tree, frames included."""
    pairs: list[tuple[int, int]] = []
    stack = [doc["root"]]
    while stack:
        node = stack.pop()
        for sr in node.get("shadowRoots", []) or []:
            if sr.get("shadowRootType") == "closed":
                pairs.append((node["nodeId"], sr["nodeId"]))
            stack.append(sr)
        stack.extend(node.get("children", []) or [])
        if node.get("contentDocument"):
            stack.append(node["contentDocument"])
    return pairs


async def expose_closed(cdp: Any) -> int:
    """Give our page scripts a way into every closed shadow root (host.__btcShadow, set through DevTools), so
    that what a person sees there is read, and waited for, like the rest of the page. Returns their number."""
    pairs = _closed_pairs(await cdp.send("DOM.getDocument", {"depth": -1, "pierce": True}))
    for _, root in pairs:
        obj = (await cdp.send("DOM.resolveNode", {"nodeId": root}))["object"]
        try:
            await cdp.send("Runtime.callFunctionOn", {
                "objectId": obj["objectId"], "functionDeclaration": "function () { this.host.__btcShadow = this; }"})
        finally:
            await cdp.send("Runtime.releaseObject", {"objectId": obj["objectId"]})
    return len(pairs)


async def _closed_roots(cdp: Any, opts: dict[str, Any]) -> tuple[int, list[str]]:
    """Mark every host of a closed shadow root (data-btc-closed) and read the secrets inside through DevTools.

    Returns the number of such hosts, and the secret values found in them.
    """
    pairs = _closed_pairs(await cdp.send("DOM.getDocument", {"depth": -1, "pierce": True}))
    values: list[str] = []
    for host, root in pairs:
        await cdp.send("DOM.setAttributeValue", {"nodeId": host, "name": "data-btc-closed", "value": "1"})
        obj = (await cdp.send("DOM.resolveNode", {"nodeId": root}))["object"]
        try:
            res = await cdp.send("Runtime.callFunctionOn", {
                "objectId": obj["objectId"], "functionDeclaration": mask_js(), "returnByValue": True,
                "arguments": [{"value": {**opts, "draw": False}}]})
            values += (res.get("result", {}).get("value") or {}).get("values", [])
        finally:
            await cdp.send("Runtime.releaseObject", {"objectId": obj["objectId"]})
    return len(pairs), values


async def take(page: Any, cdp: Any, opts: dict[str, Any], *, full_page: bool = True, timeout_s: float = 30.0,
               layers: Layers = ALL, known: Any = None) -> Shot:
    """Mask, shoot, and check that nothing needing a mask changed meanwhile (else settle and redo).

    `opts`: the label patterns mask.js needs (secretPatterns, notSecret, extraSecret). `known()` returns
    the values known to be secret at this moment (it grows as secrets are found).
    """
    values: list[str] = []
    for attempt in range(1, ATTEMPTS + 1):
        args = {**opts, "known": sorted(known() if known else [])}
        closed, hidden = await _closed_roots(cdp, args)
        before = await page.evaluate(_page_js(), {**args, "draw": layers.mask})
        png = await asyncio.wait_for(screenshot.capture(cdp, before, full_page), timeout_s)
        values += hidden + before["values"]
        shot = Shot(png, masked=before["ledger"] if layers.mask else [], gaps=before["gaps"],
                    values=[v for v in dict.fromkeys(values) if looks_secret(v)], attempts=attempt)
        if not layers.settle:
            return shot
        closed_after, _ = await _closed_roots(cdp, args)
        after = await page.evaluate(_page_js(), {**args, "known": sorted(known() if known else []), "draw": False})
        if after["sig"] == before["sig"] and closed_after == closed:
            return shot
        # Late content, a frame that loaded, a shifted layout: wait for quiet, then mask and shoot again.
        await page.evaluate(_QUIET_JS, [200, 3000])
    raise UnsettledPage(f"the page kept changing after {ATTEMPTS} tries to mask it; no screenshot was kept")
