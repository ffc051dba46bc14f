"""HTTP for the documented APIs: same TLS trust and address as the browser, streamed to disk in constant memory."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json as jsonlib
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver

from capture import tls
from capture.errors import DownloadError, LoginFailed

CHUNK = 1 << 20
SNIFF = 4096
PAGE_LIMIT = 4 << 20  # a page shown instead of a file is never larger


class _Pinned(AbstractResolver):
    """Resolve the appliance's hostname to the configured address (like curl --resolve)."""

    def __init__(self, host: str, address: str) -> None:
        self.host, self.address = host, address
        self._default = aiohttp.DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        if host != self.host:
            return await self._default.resolve(host, port, family)
        fam = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        return [{"hostname": host, "host": self.address, "port": port, "family": fam, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        await self._default.close()


def _sniff(first: bytes) -> str | None:
    from capture.verify import sniff_error_body

    return sniff_error_body(first)


class ApiClient:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.app = ctx.app
        self.session: aiohttp.ClientSession | None = None
        self.last_sha256: str | None = None

    async def __aenter__(self) -> "ApiClient":
        if getattr(self.ctx, "offline", False):  # a replay (capture.replay): no connection, ever
            raise DownloadError("not in the recording: bt-capture's own downloads and API calls are never recorded")
        app = self.app
        if app.tls.mode == "insecure":
            ssl: Any = False
        elif app.tls.mode == "pin" and self.ctx.snapshot.tls:
            ssl = aiohttp.Fingerprint(bytes.fromhex(self.ctx.snapshot.tls[0].sha256))
        else:
            ssl = tls.client_context(app)
        resolver = _Pinned(app.host, app.resolve) if app.resolve else None
        conn = aiohttp.TCPConnector(ssl=ssl, resolver=resolver, limit=4)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.ctx.timeout_s, sock_read=self.ctx.download_timeout_s)
        self.session = aiohttp.ClientSession(connector=conn, timeout=timeout, auto_decompress=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session:
            await self.session.close()

    async def token(self, url: str, client_id: str, secret: str) -> str:
        """OAuth 2 client credentials: HTTP Basic, form body, Bearer token for 3600 s."""
        try:
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            async with self.session.post(url, data={"grant_type": "client_credentials"},
                                         headers={"Authorization": f"Basic {basic}"}) as r:
                text = await r.text()
                status = r.status
        except aiohttp.ClientError as e:
            raise DownloadError(f"token request failed: {e}") from None
        try:
            body = jsonlib.loads(text)
        except ValueError:
            body = {}
        if status != 200 or "access_token" not in body:
            reason = body.get("error") or text.strip()[:120] or f"HTTP {status}"
            raise LoginFailed(f"the API refused the client credentials (HTTP {status}: {self.ctx.redactor.scrub(reason)})")
        token = body["access_token"]
        self.ctx.redactor.add(token)
        if str(body.get("token_type", "bearer")).lower() != "bearer":
            raise DownloadError(f"unexpected token type {body.get('token_type')!r}")
        return token

    async def download(self, method: str, url: str, rel: str, *, bearer: str, json: Any = None) -> Path:
        """Stream a Backup API response into the snapshot; error bodies (even with HTTP 200) are refused."""
        try:
            async with self.session.request(method, url, headers={"Authorization": f"Bearer {bearer}"}, json=json) as r:
                if r.status != 200:
                    text = (await r.content.read(2048)).decode("utf-8", "replace")
                    why = {401: "token refused or expired", 403: "the API account lacks the Backup API permission"}
                    raise DownloadError(f"{url.split('//', 1)[-1].split('/', 1)[-1]}: HTTP {r.status} "
                                        f"({why.get(r.status, self.ctx.redactor.scrub(text.strip()[:120]))})",
                                        transient=r.status >= 500)
                return await self._save(r, rel, "the API")
        except aiohttp.ClientError as e:
            raise DownloadError(f"download failed: {e}", transient=True) from None

    async def submit(self, method: str, url: str, rel: str, headers: dict[str, str],
                     body: bytes | None) -> tuple[Path | None, tuple[int, dict[str, str], bytes] | None]:
        """A form the browser submitted, sent by us: a file is streamed into the snapshot; a page
        (a login page, an error) is handed back to be shown in the browser instead."""
        try:
            async with self.session.request(method, url, headers=headers, data=body) as r:
                disposition = (r.headers.get("Content-Disposition") or "").lower()
                is_page = "attachment" not in disposition and r.content_type in ("text/html", "application/xhtml+xml")
                if r.status != 200 or is_page:
                    page = await r.content.read(PAGE_LIMIT)
                    keep = {k: v for k, v in r.headers.items()
                            if k.lower() in ("content-type", "location", "set-cookie", "cache-control")}
                    return None, (r.status, keep, page)
                return await self._save(r, rel, "the appliance"), None
        except aiohttp.ClientError as e:
            raise DownloadError(f"download failed: {e}", transient=True) from None

    async def _save(self, r: aiohttp.ClientResponse, rel: str, who: str) -> Path:
        """The body, streamed to a temporary file with its SHA-256; kept only if complete and not an error.

        The event loop only reads the socket; a writer thread hashes and writes each chunk while the next one
        is read (hashlib and file writes release the GIL). At most one chunk waits: memory stays flat."""
        expected, received, first = r.content_length, 0, b""
        h = hashlib.sha256()
        loop = asyncio.get_running_loop()
        try:
            with self.ctx.store.writer(rel) as f, ThreadPoolExecutor(1, thread_name_prefix="btc-write") as ex:
                def put(chunk: bytes) -> None:
                    f.write(chunk)
                    h.update(chunk)

                writing: asyncio.Future[None] | None = None
                try:
                    async for chunk in r.content.iter_chunked(CHUNK):
                        if len(first) < SNIFF:
                            first += chunk[: SNIFF - len(first)]
                            if (len(first) >= SNIFF or received + len(chunk) >= (expected or 1 << 62)) and \
                                    (reason := _sniff(first)):
                                raise DownloadError(f"{who} answered HTTP 200 with an error instead of a file: {reason}")
                        if writing is not None:
                            await writing
                        writing = loop.run_in_executor(ex, put, chunk)
                        received += len(chunk)
                finally:
                    if writing is not None:
                        await asyncio.shield(writing)  # the file is closed only after its last write
                if received < SNIFF and (reason := _sniff(first)):
                    raise DownloadError(f"{who} answered HTTP 200 with an error instead of a file: {reason}")
                if expected is not None and received != expected:
                    raise DownloadError(f"truncated: received {received} of {expected} bytes", transient=True)
                if received == 0:
                    raise DownloadError(f"{who} sent an empty body")
        except aiohttp.ClientPayloadError as e:
            raise DownloadError(f"download cut off after {received} bytes: {e}", transient=True) from None
        self.last_sha256 = h.hexdigest()
        return self.ctx.store.path(rel)
