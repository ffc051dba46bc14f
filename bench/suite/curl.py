"""curl on the same backup URLs as bt-capture: the Backup API with a Bearer token, and the UI form with cookies.

Secrets (client secret, token, session cookies, backup password) go to curl through a 0600 config
file (-K), never through argv.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from capture.browser import default_browser
from suite.common import run_proc

_FORM_JS = """
(password) => {
  const button = [...document.querySelectorAll('button, input[type=submit]')]
    .find((b) => (b.textContent || b.value || '').trim() === 'Download Backup');
  const form = button.form;
  form.querySelectorAll('input[type=password]').forEach((i) => { i.value = password; });
  const data = new FormData(form);
  if (button.name) data.append(button.name, button.value);
  return { action: form.action, body: new URLSearchParams(data).toString() };
}
"""


def _private(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _q(v: str) -> str:
    return json.dumps(v)  # curl config strings take C-style escapes, which JSON's are


def _fsync(path: Path) -> float:
    """curl does not fsync; bt-capture does before it calls a file saved. Time the difference."""
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - t0


def _base(info: dict[str, Any], a: dict[str, Any]) -> list[str]:
    u = urlsplit(a["base_url"])
    return ["curl", "-sS", "--fail", "--resolve", f"{u.hostname}:{u.port}:{a['address']}", "--cacert", info["ca_path"]]


def api_download(info: dict[str, Any], work: Path, password: str) -> dict[str, float]:
    """Token, then the backup streamed to a file: seconds for each, like BackupAPI (token + download)."""
    a = info["appliances"][0]
    api = a["credentials"]["api"]
    conf = _private(work / "curl-token.conf", f"user = {_q(api['client_id'] + ':' + api['client_secret'])}\n"
                                              'data = "grant_type=client_credentials"\n')
    t0 = time.perf_counter()
    tok = run_proc([*_base(info, a), "-K", str(conf), f"{a['base_url']}/oauth2/token"], sample=False)
    token_s = time.perf_counter() - t0
    token = json.loads(tok.stdout)["access_token"]
    conf = _private(work / "curl-backup.conf", f"header = {_q('Authorization: Bearer ' + token)}\n"
                                               'header = "Content-Type: application/json"\n'
                                               f"data = {_q(json.dumps({'password': password}))}\n")
    out = work / "curl-api.nsb"
    dl = run_proc([*_base(info, a), "-K", str(conf), "-o", str(out), f"{a['base_url']}/api/backup"])
    sync = _fsync(out)
    size = out.stat().st_size
    out.unlink()
    conf.unlink()
    return {"token": token_s, "download": dl.wall, "fsync": sync, "size": size, "peak_rss": dl.peak_rss}


async def _ui_form(info: dict[str, Any], password: str) -> tuple[str, str, str]:
    """Log in to /login with Playwright; return (form action URL, form body, Cookie header)."""
    import floor
    from playwright.async_api import async_playwright

    a = info["appliances"][0]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(default_browser()), args=floor.ARGS + [
            f"--host-resolver-rules={info['host_resolver_rules']}",
            f"--ignore-certificate-errors-spki-list={','.join(info['spki_pins'])}"])
        ctx = await browser.new_context()
        page = await ctx.new_page()
        await floor.login_login(page, a["base_url"], a["credentials"]["login"])
        await page.goto(f"{a['base_url']}/login/management/software")
        form = await page.evaluate(_FORM_JS, password)
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in await ctx.cookies())
        await browser.close()
    return form["action"], form["body"], cookies


def ui_download(info: dict[str, Any], work: Path, password: str) -> dict[str, float]:
    """The Download Backup form posted by curl with the session cookie of a Playwright login."""
    a = info["appliances"][0]
    action, body, cookies = asyncio.run(_ui_form(info, password))
    conf = _private(work / "curl-ui.conf", f"cookie = {_q(cookies)}\ndata = {_q(body)}\n")
    out = work / "curl-ui.nsb"
    dl = run_proc([*_base(info, a), "-K", str(conf), "-o", str(out), action])
    sync = _fsync(out)
    size = out.stat().st_size
    out.unlink()
    conf.unlink()
    return {"download": dl.wall, "fsync": sync, "size": size, "peak_rss": dl.peak_rss}
