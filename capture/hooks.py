"""Hooks and notifications after a run: on_success / on_failure / on_drift commands and apprise URLs; never fatal."""
from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import time
from typing import Any

from capture import sources
from capture.errors import CaptureError

log = logging.getLogger("bt-capture")
EVENTS = ("success", "failure", "drift")


def events(payload: dict[str, Any]) -> list[str]:
    """Which hooks this run fires: success or failure (by its exit code), and drift when peers differ in a
    must-match setting or an upgrade dropped a setting."""
    out = ["success" if payload.get("exit_code") == 0 else "failure"]
    if payload.get("drift"):
        out.append("drift")
    return out


def _env(event: str, payload: dict[str, Any]) -> dict[str, str]:
    apps = payload.get("appliances") or []
    failed = [a["name"] for a in apps if a.get("exit_code")]
    return {"BTC_EVENT": event, "BTC_EXIT_CODE": str(payload.get("exit_code", "")),
            "BTC_APPLIANCES": " ".join(a["name"] for a in apps), "BTC_FAILED": " ".join(failed),
            "BTC_FOLDERS": os.pathsep.join(a["folder"] for a in apps if a.get("folder")),
            "BTC_OUTPUT": str(payload.get("output") or ""), "BTC_BINDER": str(payload.get("binder") or ""),
            "BTC_HISTORY": str(payload.get("history", {}).get("repository") or ""),
            "BTC_DRIFT": " ".join(f"{d['a']}:{d['b']}" if "b" in d else d["a"] for d in payload.get("drift") or [])}


def secret_variables(inv: Any) -> frozenset[str]:
    """The environment variables the inventory takes secrets from: a hook never inherits them."""
    names = set()
    for app in inv.appliance:
        names |= {v[4:] for v in app.secrets.model_dump().values() if isinstance(v, str) and v.startswith("env:")}
    for v in (inv.history.token, inv.sign, *inv.hooks.notify):
        if isinstance(v, str) and v.startswith("env:"):
            names.add(v[4:])
    return frozenset(names)


def run_command(command: str | list[str], event: str, payload: dict[str, Any], timeout: float,
                hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One hook: the run's JSON on stdin, names and paths in BTC_* variables (never the inventory's secret
    variables); a hang is killed at the timeout."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    result: dict[str, Any] = {"event": event, "command": argv[0] if argv else "", "ok": False}
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**{k: v for k, v in os.environ.items() if k not in hidden},
                                     **_env(event, payload)}, start_new_session=True)
    except OSError as e:
        result["error"] = f"cannot start {argv[0] if argv else command!r}: {e.strerror or e}"
        return result
    try:
        _, err = proc.communicate(json.dumps(payload, default=str).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its whole group: a shell's children too
        proc.communicate()
        result["error"] = f"timed out after {timeout:g} s and was stopped"
        return result
    except BrokenPipeError:
        _, err = proc.communicate()
    result["seconds"] = round(time.monotonic() - started, 2)
    if proc.returncode != 0:
        tail = (err.decode(errors="replace").strip().splitlines() or [""])[-1][:200]
        result["error"] = f"exit {proc.returncode}" + (f": {tail}" if tail else "")
    else:
        result["ok"] = True
    return result


def notify(urls: list[str], event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one message through apprise (email, chat, webhooks); URLs may come from env:/keyring: sources."""
    result: dict[str, Any] = {"event": event, "command": "notify", "ok": False}
    try:
        import apprise
    except ImportError:
        result["error"] = "apprise is not installed (pip install apprise): no notification sent"
        return result
    try:
        resolved = [sources.read(u, "notification URL") if sources.is_source(u) else u for u in urls]
    except CaptureError as e:
        result["error"] = str(e)
        return result
    box = apprise.Apprise()
    for url in resolved:
        if not box.add(url):
            result["error"] = "a notification URL apprise does not understand (see the apprise URL list)"
            return result
    title, body = message(event, payload)
    result["ok"] = bool(box.notify(title=title, body=body))
    if not result["ok"]:
        result["error"] = "apprise could not deliver to every URL"
    return result


def message(event: str, payload: dict[str, Any]) -> tuple[str, str]:
    apps = payload.get("appliances") or []
    title = {"success": "bt-capture: every appliance captured and verified",
             "failure": f"bt-capture: the run ended with exit code {payload.get('exit_code')}",
             "drift": "bt-capture: settings drift"}[event]
    lines = [f"{a['name']}: {a['status']}" + "".join(f"\n  - {p}" for p in a.get("problems", [])) for a in apps]
    lines += [f"drift: {d['why']}" for d in payload.get("drift") or []]
    lines += [f"{p}" for p in payload.get("run_problems") or []]
    if payload.get("binder"):
        lines.append(f"binder: {payload['binder']}")
    return title, "\n".join(lines)


def fire(hooks: Any, payload: dict[str, Any], hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Every configured hook and notification for this run's events; each result recorded, none fatal."""
    done = []
    for event in events(payload):
        command = getattr(hooks, f"on_{event}")
        if command:
            done.append(run_command(command, event, payload, hooks.timeout, hidden))
        if hooks.notify and event in hooks.notify_on:
            done.append(notify(list(hooks.notify), event, payload))
    for r in done:
        if not r["ok"]:
            log.warning("hook %s (%s) failed: %s; the run's outcome is unchanged", r["event"], r["command"],
                        r.get("error"))
    return done
