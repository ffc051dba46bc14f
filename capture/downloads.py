"""Browser downloads: start on a click, stop early when a page comes back instead, keep only complete files."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

from capture.navigate import LOGIN_STATES
from capture.errors import DownloadError, SessionBounced



def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length", "cookie",
       "accept-encoding", "proxy-connection"}


async def download(sess: Any, click: Callable[[], Awaitable[None]], rel: str, purpose: str) -> Path:
    """The click fills and submits the form in the browser; the file itself is streamed by bt-capture.

    The browser's own download path is the fallback (no HTTP client configured). Streaming it ourselves
    keeps memory flat, checks the announced length, and never keeps a page Chromium might fetch instead.
    """
    sess.last_sha256 = None
    if sess.http is None:
        return await browser_download(sess, click, rel, purpose)
    loop = asyncio.get_running_loop()
    result: asyncio.Future = loop.create_future()

    async def divert(route: Any, request: Any) -> None:
        try:
            headers = {k: v for k, v in (await request.all_headers()).items()
                       if k.lower() not in HOP and not k.startswith(":")}
            cookies = await sess.context.cookies([request.url])
            if cookies:
                headers["Cookie"] = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
            async with sess.http() as client:
                path, page = await client.submit(request.method, request.url, rel, headers, request.post_data_buffer)
                sess.last_sha256 = client.last_sha256
            if path is not None:
                await route.fulfill(status=204, body=b"")  # the browser stays on the form's page
            else:
                status, hdrs, body = page
                await route.fulfill(status=status, headers=hdrs, body=body)
            if not result.done():
                result.set_result(path)
        except Exception as e:
            try:
                await route.abort()
            except Exception:
                pass
            if not result.done():
                result.set_exception(e)

    with sess.guard.allow(purpose, count=1):
        sess.guard.divert = divert
        try:
            await click()
            path = await asyncio.wait_for(result, timeout=sess.download_timeout_s)
        except asyncio.TimeoutError:
            raise DownloadError("no download started (the form was not submitted)") from None
        finally:
            sess.guard.divert = None
    if path is not None:
        return path
    # A page came back instead of a file: a login page (expired session) or an error.
    await sess.page.wait_for_load_state("load")
    st = await sess.nav.state()
    if st["state"] in LOGIN_STATES:
        raise SessionBounced(f"the appliance answered with its {st['state']} page instead of a file")
    raise DownloadError("the appliance answered with a page instead of a file"
                        + (f": {st['error']}" if st.get("error") else f" ({st.get('title') or 'no title'})"))


async def browser_download(sess: Any, click: Callable[[], Awaitable[None]], rel: str, purpose: str) -> Path:
    """Run a click that starts a download; the file lands in the snapshot only when complete.

    A page that comes back instead of a file (a login page after a session expiry, an error page)
    ends the wait at once instead of waiting out the download timeout.
    """
    sess.attachment_length = None
    sess.page.on("response", sess.on_response)
    try:
        return await _browser_download(sess, click, rel, purpose)
    finally:
        sess.page.remove_listener("response", sess.on_response)


async def _browser_download(sess: Any, click: Callable[[], Awaitable[None]], rel: str, purpose: str) -> Path:
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
