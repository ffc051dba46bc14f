"""The Reporting API over HTTPS: OAuth tokens renewed in time, 401/429/dropped connections retried and logged."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import aiohttp

from capture import tls
from capture.archive import reporting as rp
from capture.errors import DownloadError, LoginFailed, TlsUntrusted, Unreachable
from capture.fetch import _Pinned

CHUNK = 1 << 20
RENEW_BEFORE = 300  # seconds before expiry a token is replaced (real clients do the same)
MAX_WAIT = 120.0  # the longest Retry-After honoured
IN_FLIGHT = 4  # MiB a download may hold in memory, waiting for the disk


@dataclass
class Saved:
    """A finished download: the bytes went to `path` and hashed to `sha256`; or an <error> came instead."""

    size: int = 0
    sha256: str = ""
    kind: str = ""  # flv, mp4, bin
    error: str | None = None


class Transient(DownloadError):
    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class ReportingClient:
    """One appliance's /api/reporting; at most `limit` calls at once, every connection closed after its call."""

    def __init__(self, app: Any, client_id: str, secret: str, *, limit: int, log: Callable[..., None],
                 redact: Callable[[str], None], retries: int = 5, timeout: float = 60.0) -> None:
        self.app, self.client_id, self.secret = app, client_id, secret
        self.base = (app.url or app.login_url.rsplit("/login", 1)[0]).rstrip("/")
        self.log, self.redact, self.retries, self.timeout = log, redact, retries, timeout
        self.gate = asyncio.Semaphore(limit)
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "ReportingClient":
        mode = self.app.tls.mode
        ssl: Any = False if mode == "insecure" else tls.client_context(self.app)
        if mode == "pin":  # the pin is checked on a probe; then only that exact certificate is accepted
            ssl = aiohttp.Fingerprint(bytes.fromhex((await tls.probe(self.app)).sha256))
        resolver = _Pinned(self.app.host, self.app.resolve) if self.app.resolve else None
        # force_close: the vendor says to close the connection after each call; no keep-alive reuse.
        conn = aiohttp.TCPConnector(ssl=ssl, resolver=resolver, force_close=True, limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=15, sock_read=self.timeout)
        # A large read buffer: with aiohttp's 64 KiB default the socket is paused and resumed every few
        # TLS records, and the appliance waits on us (about half of curl's throughput).
        self.session = aiohttp.ClientSession(connector=conn, timeout=timeout, auto_decompress=False,
                                             headers={"Connection": "close"}, read_bufsize=2 * CHUNK)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session:
            await self.session.close()

    async def token(self, force: bool = False) -> str:
        stale = self._token[0] if force and self._token else None
        async with self._token_lock:
            if self._token and self._token[0] != stale and self._token[1] - time.monotonic() > 0:
                return self._token[0]
            basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
            try:
                async with self.session.post(self.base + rp.TOKEN_PATH, data={"grant_type": "client_credentials"},
                                             headers={"Authorization": f"Basic {basic}"}) as r:
                    status, text = r.status, await r.text()
            except aiohttp.ClientConnectorCertificateError as e:
                raise TlsUntrusted(f"{self.app.name}: the certificate of {self.base} is not trusted "
                                   f"({e.certificate_error}); give tls.ca_file or tls.pin") from None
            except (aiohttp.ClientConnectorError, asyncio.TimeoutError, OSError) as e:
                raise Unreachable(f"{self.app.name}: cannot reach {self.base}: {e or 'timed out'}") from None
            except aiohttp.ClientError as e:
                raise Unreachable(f"{self.app.name}: token request failed: {e}") from None
            try:
                body = json.loads(text)
            except ValueError:
                body = {}
            if status != 200 or not isinstance(body, dict) or "access_token" not in body:
                why = body.get("error") if isinstance(body, dict) else None
                raise LoginFailed(f"{self.app.name}: the API refused the client credentials "
                                  f"(HTTP {status}: {why or 'no token'})")
            tok = str(body["access_token"])
            self.redact(tok)
            life = float(body.get("expires_in") or 3600)
            self._token = (tok, time.monotonic() + life - min(RENEW_BEFORE, life / 10))
            return tok

    async def call(self, params: dict[str, str]) -> bytes:
        """One report as bytes (listings and session reports are small); retried as the API asks."""
        return await self._with_retries(params, None)

    async def download(self, params: dict[str, str], sink: Any) -> Saved:
        """Stream a recording into sink (a binary file, rewound on every retry) and hash it."""
        return await self._with_retries(params, sink)

    async def _with_retries(self, params: dict[str, str], sink: Any) -> Any:
        """Each kind of trouble has its own budget: expired tokens, 429s and dropped connections."""
        what = "/".join(params.get(k, "") for k in ("generate_report", "lsid", "instance", "start_time") if k in params)
        left = {"401": 5, "429": 20, "transient": self.retries}
        attempt = 0
        while True:
            attempt += 1
            tok = await self.token()
            try:
                async with self.gate:
                    return await self._once(params, tok, sink)
            except _Expired:
                left["401"] -= 1
                if left["401"] < 0:
                    raise DownloadError(f"{what}: the appliance keeps refusing fresh tokens (HTTP 401)") from None
                self.log("retry", what=what, attempt=attempt, why="HTTP 401: token expired; new token")
                await self._renew(tok)
            except _TooMany as e:
                left["429"] -= 1
                if left["429"] < 0:
                    raise Transient(f"{what}: still HTTP 429 after 20 waits") from None
                wait = min(MAX_WAIT, e.wait)
                self.log("retry", what=what, attempt=attempt, why=f"HTTP 429; waiting {wait:g} s (Retry-After)")
                await asyncio.sleep(wait)
            except Transient as e:
                left["transient"] -= 1
                if left["transient"] < 0:
                    raise
                wait = min(30.0, 0.5 * 2 ** (self.retries - left["transient"] - 1))
                self.log("retry", what=what, attempt=attempt, why=f"{e}; again in {wait:g} s")
                await asyncio.sleep(wait)

    async def _renew(self, refused: str) -> None:
        """A new token, unless another call already replaced the refused one (no stampede)."""
        if self._token is not None and self._token[0] == refused:
            await self.token(force=True)

    async def _once(self, params: dict[str, str], tok: str, sink: Any) -> Any:
        try:
            async with self.session.get(self.base + rp.ENDPOINT, params=params,
                                        headers={"Authorization": f"Bearer {tok}"}) as r:
                if r.status == 401:
                    raise _Expired()
                if r.status == 429:
                    raise _TooMany(_retry_after(r.headers.get("Retry-After")))
                if r.status >= 500:
                    raise Transient(f"HTTP {r.status}")
                if r.status != 200:
                    text = (await r.content.read(2048)).decode("utf-8", "replace")
                    raise DownloadError(f"HTTP {r.status}: {_error_of(text)}")
                if sink is None:
                    return await r.read()
                return await _stream(r, sink)
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError,
                asyncio.TimeoutError, ConnectionError) as e:
            raise Transient(f"connection dropped: {type(e).__name__}") from None
        except aiohttp.ClientConnectorError as e:
            raise Transient(f"cannot connect: {e.os_error or e}") from None


class _Expired(Exception):
    pass


class _TooMany(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


def _retry_after(raw: str | None) -> float:
    try:
        return max(0.0, float(raw)) if raw else 10.0  # VultureOS waits 10 s when none is given
    except ValueError:
        return 10.0


def _error_of(text: str) -> str:
    try:
        return rp.error_text(rp.parse(text.encode())) or text[:120]
    except Exception:  # not XML
        return text.strip()[:120] or "no body"


async def _stream(r: aiohttp.ClientResponse, sink: Any) -> Saved:
    """Body → sink with SHA-256, checked against Content-Length; an XML <error> body is returned, not kept.

    The event loop only reads the socket; hashing and writing run in a thread of their own (both let go
    of the GIL), a few MiB behind at most, so the disk never stalls the connections and memory stays flat.
    """
    sink.seek(0)
    sink.truncate()
    h, size, first = hashlib.sha256(), 0, b""
    expected = r.content_length
    fd = sink.fileno()
    loop = asyncio.get_running_loop()
    pending: deque[asyncio.Future[None]] = deque()
    batch: list[bytes] = []
    held, flushed = 0, time.monotonic()

    def put(parts: list[bytes]) -> None:
        for part in parts:
            h.update(part)
            _write_all(fd, part)

    with ThreadPoolExecutor(1, thread_name_prefix="btc-write") as writer:
        try:
            while True:
                chunk = await r.content.read(CHUNK)
                if chunk:
                    if len(first) < 64:
                        first += chunk[: 64 - len(first)]
                    batch.append(chunk)
                    held += len(chunk)
                    size += len(chunk)
                # A MiB at a time, or what a slow stream brought in the last quarter second.
                if batch and (held >= CHUNK or not chunk or time.monotonic() - flushed > 0.25):
                    pending.append(loop.run_in_executor(writer, put, batch))
                    batch, held, flushed = [], 0, time.monotonic()
                    if len(pending) > IN_FLIGHT:
                        await pending.popleft()
                if not chunk:
                    break
        finally:
            for fut in pending:
                await fut
    if expected is not None and size != expected:
        raise Transient(f"truncated: {size} of {expected} bytes")
    if rp.looks_like_xml(first) and size < 1 << 20:
        sink.seek(0)
        text = sink.read().decode("utf-8", "replace")
        return Saved(error=_error_of(text))
    return Saved(size=size, sha256=h.hexdigest(), kind=rp.media_kind(first) or "bin")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def file_sha256(path: Path) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()
