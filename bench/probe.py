#!/usr/bin/env python3
"""`bt-capture` with timing wrappers around its phases, so the benchmarks need no timing code in the product.

    python bench/probe.py TIMINGS.json run -i inventory.toml --json      (any bt-capture arguments)

Wraps (by monkeypatching, in this process only) the runner, each interface, each page capture, each
download action, the OCR collection, the verification, the finalize step, the renderer and the peer
diff; writes every interval as wall-clock epoch seconds to TIMINGS.json when the command exits. With
BTB_PROFILE=FILE it also runs pyinstrument over the whole command and saves its session there.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

STARTED = time.time()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
EVENTS: list[dict[str, Any]] = []


def _wrap(owner: Any, attr: str, label: Callable[..., str]) -> None:
    orig = getattr(owner, attr)
    if getattr(orig, "__wrapped_by_probe__", False):
        return
    import inspect

    if inspect.iscoroutinefunction(orig):
        @functools.wraps(orig)
        async def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.time()
            try:
                return await orig(*a, **kw)
            finally:
                EVENTS.append({"what": label(*a, **kw), "start": start, "end": time.time()})
    else:
        @functools.wraps(orig)
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.time()
            try:
                return orig(*a, **kw)
            finally:
                EVENTS.append({"what": label(*a, **kw), "start": start, "end": time.time()})
    wrapper.__wrapped_by_probe__ = True  # type: ignore[attr-defined]
    setattr(owner, attr, wrapper)


def install() -> None:
    from capture import browser, fetch, navigate, ocr, postprocess, runner, session, store, tls
    from flows import certificate, login
    from reports import diff, dossier, pdf

    _wrap(runner.Runner, "run", lambda *a, **k: "runner.run")
    _wrap(runner.Runner, "capture", lambda self, b, app, *r, **k: f"appliance:{app.name}")
    _wrap(runner.Runner, "_interface", lambda self, b, ctx, iface, *r, **k: f"interface:{ctx.app.name}:{iface}")
    _wrap(tls, "probe", lambda app, *a, **k: f"tls.probe:{app.name}")
    _wrap(browser.Browser, "start", lambda *a, **k: "browser.start")
    _wrap(browser.Browser, "close", lambda *a, **k: "browser.close")
    _wrap(session.Session, "capture", lambda self, page, **k: f"page:{self.name}:{page.flow}")
    _wrap(session.Session, "goto", lambda self, page, **k: f"page.reach:{self.name}:{page.flow}")
    _wrap(session.Session, "expand", lambda self, *a, **k: f"page.expand:{self.name}")
    _wrap(session.Session, "read", lambda self, page, **k: f"page.read:{self.name}:{page.flow}")
    _wrap(session.Session, "screenshot", lambda self, rel, *a, **k: f"page.screenshot:{self.name}:{rel}")
    _wrap(session.Session, "download", lambda self, click, rel, *a, **k: f"download:{self.name}:{rel}")
    _wrap(fetch.ApiClient, "download", lambda self, m, url, rel, **k: f"download:{self.app.name}:{rel}")
    for cls in (login.BackupAPI, login.BackupUI, login.VaultKeyUI, certificate.ExportCertificate):
        _wrap(cls, "run", lambda self, ctx, **k: f"action:{ctx.app.name}:{self.name}")
    for meth in ("find", "settle", "wait_for", "state"):  # where reaching a page spends its time
        _wrap(navigate.Navigator, meth, lambda self, *a, _m=meth, **k: f"nav.{_m}")
    _wrap(postprocess, "collect_ocr", lambda ctx, *a, **k: f"ocr.collect:{ctx.app.name}")
    _wrap(postprocess, "verify_artifacts", lambda ctx, *a, **k: f"verify:{ctx.app.name}")
    _wrap(store.Store, "finalize", lambda self, *a, **k: "finalize")
    _wrap(ocr.OcrPool, "close", lambda *a, **k: "ocr.pool_close")
    _wrap(dossier, "render_all", lambda *a, **k: "render")
    _wrap(dossier, "render_html", lambda *a, **k: "render.html")
    _wrap(pdf.PdfRenderer, "__aenter__", lambda *a, **k: "render.pdf_launch")
    _wrap(pdf.PdfRenderer, "render", lambda *a, **k: "render.pdf")
    orig_login_with = runner.login_with

    def login_with(creds: Any) -> Any:  # Session.login is a field holding this closure, not a method
        class Holder:
            login = staticmethod(orig_login_with(creds))

        _wrap(Holder, "login", lambda s, *a, **k: f"login:{s.name}:{s.interface}")
        return Holder.login

    runner.login_with = login_with
    _wrap(diff, "peer_diff", lambda *a, **k: "peer_diff")


def _write(path: str) -> None:
    data = {"process_started": STARTED, "exited": time.time(), "events": EVENTS}
    Path(path).write_text(json.dumps(data, indent=1))


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, args = sys.argv[1], sys.argv[2:]
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    install()
    atexit.register(_write, out)
    from capture.cli import main as cli_main

    sys.argv = ["bt-capture", *args]
    profile = os.environ.get("BTB_PROFILE")
    if not profile:
        cli_main()
        return
    from pyinstrument import Profiler

    from capture import app

    orig_run = app.run

    async def profiled_run(*a: Any, **kw: Any) -> Any:
        # Plain stack sampling: the two interfaces (and Playwright's own reader) are concurrent tasks, so
        # pyinstrument's await attribution would charge idle time to whichever task yielded last. Idle
        # time shows as the event loop's select(); everything else is this process's own CPU.
        profiler = Profiler(interval=0.002, async_mode="disabled")
        profiler.start()
        try:
            return await orig_run(*a, **kw)
        finally:
            profiler.stop().save(profile)

    app.run = profiled_run
    cli_main()


if __name__ == "__main__":
    main()
