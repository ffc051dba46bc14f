"""Screenshots taken straight through the DevTools protocol (the masks are capture.masking's job).

Why not `page.screenshot(mask=...)`: a mask locator needs Playwright's injected script, which Chromium
compiles again in every new document, and its PNG encoder runs at full zlib effort. Measured here
(bench/profile notes in docs/benchmarks.md) that is ~40% of the CPU of a captured page. mask.js paints
the masks and measures the page in the same script call; this captures all of it.
"""
from __future__ import annotations

import base64
import math
from typing import Any


async def capture(cdp: Any, size: dict[str, Any], full_page: bool) -> bytes:
    """A PNG of the whole page (size: mask.js's measurements) or of the viewport."""
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
