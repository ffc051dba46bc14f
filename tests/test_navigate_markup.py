"""Markup seen in random skins that once misled the navigator, as a small page in real Chromium: a login form
folded in a <details> whose <summary> carries the same words as its submit button."""
from __future__ import annotations

from typing import Any

from captools import run_async
from capture.browser import Browser, default_browser
from capture.navigate import Navigator
from flows.base import Labels

PAGE = """<!doctype html><html><body><main><form onsubmit="event.preventDefault(); window.__sent = true">
<details open><summary>Sign In</summary>
<p><label>Username <input name="u"></label></p><p><label>Password <input type="password" name="p"></label></p>
</details><button type="submit">Sign In</button></form></main></body></html>"""


async def _click(texts: list[str]) -> dict[str, Any]:
    browser = await Browser(default_browser()).start()
    try:
        ctx = await browser.context()
        page = await ctx.new_page()
        await page.set_content(PAGE)
        labels = Labels.load()
        nav = Navigator(page, login_vocab=labels.login_vocab, destructive=labels.destructive_text, timeout_s=10)
        clicked = await nav.click(texts, expect_nav=False)
        return await page.evaluate("(c) => ({clicked: c, sent: !!window.__sent, "
                                   "open: document.querySelector('details').open})", clicked)
    finally:
        await browser.close()


def test_the_submit_button_is_clicked_not_the_summary_with_the_same_words() -> None:
    got = run_async(_click(Labels.load().login("submit")))
    assert got == {"clicked": True, "sent": True, "open": True}, got
