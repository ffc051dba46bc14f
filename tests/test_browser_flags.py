"""Chromium keeps only the last --disable-features switch: ours must repeat every feature Playwright turns off."""
from __future__ import annotations

import re
from pathlib import Path

import playwright

from capture.browser import DISABLED_FEATURES, PLAYWRIGHT_DISABLED_FEATURES, Browser


def _playwright_disabled_features() -> list[str]:
    lib = Path(playwright.__file__).parent / "driver" / "package" / "lib"
    for js in sorted(lib.rglob("*.js")):
        text = js.read_text(errors="replace")
        m = re.search(r"disabledFeatures\s*=\s*(?:\([^)]*\)\s*=>\s*)?\[(.*?)\]\s*(?:\.filter|;)", text, re.S)
        if m and "--disable-features=" in text:
            body = re.sub(r"//[^\n]*", "", m.group(1))
            return re.findall(r"\"([A-Za-z0-9]+)\"", body)
    raise AssertionError(f"no disabledFeatures list in Playwright's driver under {lib}: "
                         "check how it passes --disable-features now (capture/browser.py)")


def test_our_disable_features_repeat_playwrights() -> None:
    theirs = _playwright_disabled_features()
    assert len(theirs) >= 5, theirs
    missing = sorted(set(theirs) - set(PLAYWRIGHT_DISABLED_FEATURES))
    assert not missing, f"Playwright now also disables {missing}: add them to PLAYWRIGHT_DISABLED_FEATURES"


def test_the_launch_arguments_carry_the_whole_list_once() -> None:
    args = Browser(Path("/usr/bin/chromium")).args()
    switches = [a for a in args if a.startswith("--disable-features=")]
    assert len(switches) == 1
    assert switches[0].split("=", 1)[1].split(",") == DISABLED_FEATURES
    assert "RenderDocument" in DISABLED_FEATURES
