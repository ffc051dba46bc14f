"""Browser downloads: start on a click, stop early when a page comes back instead, keep only complete files."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

from capture.navigate import LOGIN_STATES
from capture.errors import DownloadError, SessionBounced



def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


async def download(sess: Any, click: Callable[[], Awaitable[None]], rel: str, purpose: str) -> Path:
    """Run a click that starts a download; the file lands in the snapshot only when complete.

    A page that comes back instead of a file (a login page after a session expiry, an error page)
    ends the wait at once instead of waiting out the download timeout.
    """
    sess.attachment_length = None
    with sess.guard.allow(purpose, count=2):
        waiter = asyncio.ensure_future(sess.page.wait_for_event("download", timeout=sess.download_timeout_s * 1000))
        try:
            await sess.page.evaluate("() => { window.__btcOld = true; }")
            await click()
            while not waiter.done():
                await asyncio.wait({waiter}, timeout=0.25)
                if waiter.done():
                    break
                try:
                    replaced = await sess.page.evaluate("() => window.__btcOld !== true && document.readyState === 'complete'")
                except Exception:
                    continue  # navigating
                if replaced:
                    await asyncio.wait({waiter}, timeout=1.0)  # a download may still follow a redirect page
                    if waiter.done():
                        break
                    st = await sess.nav.state()
                    if st["state"] in LOGIN_STATES:
                        raise SessionBounced(f"the appliance answered with its {st['state']} page instead of a file")
                    raise DownloadError("the appliance answered with a page instead of a file"
                                        + (f": {st['error']}" if st.get("error") else f" ({st.get('title') or 'no title'})"))
            dl = waiter.result()
        except (SessionBounced, DownloadError):
            raise
        except Exception as e:
            raise DownloadError(f"no download started: {_first_line(e)}") from None
        finally:
            if not waiter.done():
                waiter.cancel()
    failure = await dl.failure()
    if failure:
        await dl.delete()
        raise DownloadError(f"download failed: {failure}")
    tmp = await dl.path()
    if tmp is None:
        raise DownloadError("download produced no file")
    try:
        _check(sess, Path(tmp))
    except DownloadError:
        await dl.delete()
        raise
    return sess.store.adopt(Path(tmp), rel)

def _check(sess: Any, path: Path) -> None:
    # Chromium may quietly retry a cut-off download and save whatever page comes back; a file is
    # kept only if it has the announced length and does not look like an error page.
    from capture.verify import sniff_error_body

    size = path.stat().st_size
    if sess.attachment_length is not None and size != sess.attachment_length:
        raise DownloadError(f"truncated: received {size} of {sess.attachment_length} bytes")
    with open(path, "rb") as f:
        reason = sniff_error_body(f.read(4096))
    if reason:
        raise DownloadError(f"the appliance sent an error page instead of a file: {reason}")
