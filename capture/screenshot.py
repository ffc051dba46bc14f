"""Screenshots with every secret painted over, taken straight through the DevTools protocol.

Why not `page.screenshot(mask=...)`: a mask locator needs Playwright's injected script, which Chromium
compiles again in every new document, and its PNG encoder runs at full zlib effort. Measured here
(bench/profile notes in docs/benchmarks.md) that is ~40% of the CPU of a captured page. This does the
same in one script call: paint a box over every secret field (and make its text transparent underneath,
in case a box were ever misplaced), hide carets, freeze animations, and measure the page; then capture
all of it.
"""
from __future__ import annotations

import asyncio
import base64
import math
from typing import Any

_MASK_JS = """
(sel) => {
  document.querySelectorAll('[data-btc-mask]').forEach((e) => e.remove());  // an earlier screenshot's
  const any = `:is(${sel})`;
  const style = document.createElement('style');
  style.setAttribute('data-btc-mask', '');
  style.textContent = `*, *::before, *::after { caret-color: transparent !important;
      animation-play-state: paused !important; transition: none !important; }
    ${any}, ${any} * { color: transparent !important; -webkit-text-fill-color: transparent !important;
      text-shadow: none !important; }`;
  (document.head || document.documentElement).appendChild(style);
  const layer = document.createElement('div');
  layer.setAttribute('data-btc-mask', '');
  layer.style.cssText = 'position:absolute;left:0;top:0;width:0;height:0;overflow:visible;z-index:2147483647;pointer-events:none';
  let n = 0;
  for (const el of document.querySelectorAll(sel)) {
    for (const r of el.getClientRects()) {
      if (!r.width || !r.height) continue;
      const box = document.createElement('div');
      box.style.cssText = `position:absolute;left:${r.left + scrollX}px;top:${r.top + scrollY}px;` +
        `width:${r.width}px;height:${r.height}px;background:#ff00ff`;
      layer.appendChild(box);
      n++;
    }
  }
  document.documentElement.appendChild(layer);
  // The sizes the capture needs, read here instead of in a second round trip (Page.getLayoutMetrics).
  const root = document.scrollingElement || document.documentElement;
  return { boxes: n, width: root.scrollWidth, height: root.scrollHeight, viewWidth: document.documentElement.clientWidth,
           viewHeight: document.documentElement.clientHeight, scrollX, scrollY };
}
"""

async def take(page: Any, cdp: Any, *, mask: str, full_page: bool = True, timeout_s: float = 30.0) -> bytes:
    """A PNG of the page (all of it, or the viewport) with everything matching `mask` covered.

    The boxes stay on the page afterwards (they take no clicks, and the next screenshot replaces them):
    taking them off would cost one more round trip and one more frame per page.
    """
    size = await page.evaluate(_MASK_JS, mask)
    return await asyncio.wait_for(_capture(cdp, size, full_page), timeout_s)


async def _capture(cdp: Any, size: dict[str, Any], full_page: bool) -> bytes:
    if full_page:
        width, height = math.ceil(size["width"]), math.ceil(size["height"])
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        beyond = width > size["viewWidth"] or height > size["viewHeight"]
    else:
        clip = {"x": size["scrollX"], "y": size["scrollY"], "width": size["viewWidth"], "height": size["viewHeight"],
                "scale": 1}
        beyond = False
    shot = await cdp.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": beyond,
                                                     "optimizeForSpeed": True})
    return base64.b64decode(shot["data"])
