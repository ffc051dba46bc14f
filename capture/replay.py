"""`bt-capture replay`: run the same flows against a recording, answered by the browser's pause point, offline."""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from capture import recording_index as index
from capture.browser import Browser
from capture.config import Appliance, Inventory
from capture.guard import Interceptor, PausedRequest
from capture.records import Snapshot
from capture.runner import Result, Runner
from capture.sanitize import Sanitizer
from flows.base import Labels, Page

log = logging.getLogger("bt-capture")

NOT_RECORDED = "not in the recording (a recording keeps no downloaded or exported file)"
# Values typed into the replayed login forms: the recording answers whatever is posted.
PLACEHOLDERS = {"totp_secret": "JBSWY3DPEHPK3PXP"}
_MISSING = b"<!doctype html><title>Not in the recording</title><h1>Not in the recording</h1>"


def _key(method: str, url: str) -> tuple[str, str, str, str]:
    """What identifies a request across record and replay: the URL as sanitized, without port or encoding."""
    u = urlsplit(Sanitizer().url(url, ""))
    return method.upper(), (u.hostname or "").lower(), unquote(u.path or "/"), unquote(u.query)


class Cassette:
    """The recorded answers by request; a URL asked for again gets its next recorded answer (a login form,
    then the page behind it), and its last one once those run out."""

    def __init__(self, folders: list[Path]) -> None:
        self.queues: dict[tuple[str, str, str, str], list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
        for folder in folders:
            for row in sorted(index.read_json(folder, "exchanges.json"), key=lambda r: r["seq"]):
                self.queues[_key(row["method"], row["url"])].append((folder, row))
        self.missed: list[str] = []
        self.pages: dict[tuple[str, str, str, str], tuple[Path, dict[str, Any]]] = {}  # last non-redirect answers

    def answer(self, method: str, url: str) -> tuple[int, dict[str, str], bytes]:
        queue = self.queues.get(_key(method, url))
        if not queue:
            self.missed.append(f"{method} {urlsplit(url).path}")
            return 404, {"content-type": "text/html; charset=utf-8"}, _MISSING
        key = _key(method, url)
        folder, row = queue.pop(0) if len(queue) > 1 else queue[0]
        if 300 <= row["status"] < 400 and key in self.pages and len(queue) == 1:
            folder, row = self.pages[key]  # asked again after the last redirect: the page it served before
        elif not 300 <= row["status"] < 400:
            self.pages[key] = (folder, row)
        if row.get("download"):  # its bytes were never kept
            return 404, {"content-type": "text/html; charset=utf-8"}, _MISSING
        body = (folder / row["body"]).read_bytes() if row.get("body") else b""
        return row["status"], dict(row.get("headers") or {}), body


class ReplayRequest(PausedRequest):
    """A paused request that, let through by the guard, is answered from the cassette instead."""

    def __init__(self, cdp: Any, event: dict[str, Any], cassette: Cassette) -> None:
        super().__init__(cdp, event)
        self.cassette = cassette

    async def continue_(self) -> None:
        status, headers, body = self.cassette.answer(self.method, self.url)
        await self.fulfill(status=status, headers=headers, body=body)


class ReplayInterceptor(Interceptor):
    types = None  # every request, stylesheets and scripts too: nothing reaches the network

    def __init__(self, cassette: Cassette) -> None:
        super().__init__()
        self.cassette = cassette

    def paused(self, event: dict[str, Any]) -> PausedRequest:
        return ReplayRequest(self.cdp, event, self.cassette)


class ReplayRunner(Runner):
    """The capture runner with the recording for a network: no secrets, no TLS probe, no downloads."""

    cassette: Cassette
    about: dict[str, dict[str, Any]]  # appliance name → its recording's index entry

    def _secrets(self, app: Appliance) -> tuple[dict[str, str], list[Any]]:
        names = ("appliance_password", "login_password", "totp_secret", "api_client_secret", "p12_passphrase",
                 "backup_password", "vault_key_password")
        return {n: PLACEHOLDERS.get(n, f"replay-{n}") for n in names}, []

    async def _probe(self, app: Appliance) -> Any:
        return None

    def _browser(self, ready: list[tuple[Appliance, Any]], downloads: Path) -> Browser:
        return Browser(self.inv.browser, downloads=downloads, interceptor=lambda: ReplayInterceptor(self.cassette))

    offline = True

    async def _step(self, sess: Any, ctx: Any, st: Any) -> None:
        """Actions run too, as far as the recording goes: the pages they read (the certificate's export page)
        are recorded, the files they would download or export never are."""
        await super()._step(sess, ctx, st)
        if not isinstance(st, Page):
            for f in ctx.snapshot.failures:
                if f.step == st.name:
                    f.error = NOT_RECORDED
            if not any(f.step == st.name for f in ctx.snapshot.failures):
                ctx.fail(st.name, NOT_RECORDED, kind="artifact")

    def _identity(self, snap: Snapshot, labels: Labels) -> None:
        super()._identity(snap, labels)  # the last word before the snapshot is written: say where it came from
        about = self.about[snap.label]
        snap.warnings.insert(0, f"replayed offline from a recording made by bt-capture {about['tool_version']}; "
                                "files (.p12, NSB, Vault key) are not in the recording")
        missed = sorted(set(self.cassette.missed))
        if missed:
            snap.log.append("requests the recording had no answer for: " + ", ".join(missed[:20]))

    async def capture(self, *a: Any, **kw: Any) -> Result:
        res = await super().capture(*a, **kw)
        if res.exit_code == 1 and res.snapshot and all(f.error == NOT_RECORDED for f in res.snapshot.failures):
            res.exit_code = 0  # the files a recording never holds are expected to be missing
        return res


def inventory(folders: list[Path], output: Path, labels: Path | None, browser: Path | None = None) -> Inventory:
    """The inventory a replay runs: each recording's appliance, as it was captured."""
    apps, names = [], set()
    for folder in folders:
        a = index.load(folder)["appliance"]
        names.add(a["name"])
        apps.append(a)
    rows = []
    for a in apps:
        rows.append({"name": a["name"], "appliance_url": a["urls"]["appliance"], "login_url": a["urls"]["login"],
                     "site_hostname": a.get("site_hostname"), "deployment": a["deployment"], "role": a.get("role"),
                     "peer": a.get("peer") if a.get("peer") in names else None, "take": a["take"],
                     "accounts": {"appliance_user": "replay", "login_user": "replay",
                                  "api_client_id": "replay" if a.get("api_ready") else None}})
    raw: dict[str, Any] = {"output": output, "jobs": max(1, len(rows)), "labels": labels, "appliance": rows}
    if browser:
        raw["browser"] = browser
    return Inventory.model_validate(raw)


async def replay(root: Path, output: Path, options: Any, *, redactor: Any, labels: Path | None = None,
                 render: bool = True) -> Any:
    """Replay every recording under root (one, or a folder of them) into snapshots under output."""
    from capture import app as runapp

    folders = index.recordings(root)
    inv = inventory(folders, output, labels)
    idx = {index.load(f)["appliance"]["name"]: index.load(f) for f in folders}

    class _Runner(ReplayRunner):
        cassette = Cassette(folders)
        about = idx

    return await runapp.run(inv, options, redactor=redactor, render=render, runner=_Runner)
