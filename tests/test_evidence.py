"""Evidence over time, end to end: the git settings history, hooks and notifications, signed snapshots."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

import simhelpers
from captools import CANARY, run_async, secrets_of
from capture import app as runapp
from capture import config, evidence
from capture.redact import Redactor
from capture.runner import Options
from fixtures import Faults, SimOptions, Simulator
from fixtures.inventory import write_inventory

pytestmark = pytest.mark.xdist_group("evidence")
NEW_LOCATION = "DC9 Frankfurt, Row C Rack 4"


class Receivers:
    """A real SMTP server (aiosmtpd) and an HTTP receiver on loopback, recording what arrives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.mail: list[tuple[list[str], str]] = []
        self.posts: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Smtp:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                outer.mail.append((list(envelope.rcpt_tos), envelope.content.decode(errors="replace")))
                return "250 OK"

        class Http(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a: Any) -> None: ...

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.smtp = Controller(Smtp(), hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.http = HTTPServer(("127.0.0.1", 0), Http)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.urls = [f"mailto://127.0.0.1:{port}?from=bt@example.test&to=ops@example.test&mode=insecure",
                     f"json://127.0.0.1:{self.http.server_port}/bt-hook"]

    def stop(self) -> None:
        self.smtp.stop()
        self.http.shutdown()


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    r = Receivers()
    yield r
    r.stop()


def _hook(out: Path, tail: str = "") -> str:
    """A hook command: its stdin and BTC_* environment into a file, then `tail` (fail, hang)."""
    return json.dumps(["sh", "-c", f'cat > "{out}.json"; env | grep ^BTC_ | sort > "{out}.env"{tail}'])


def _run(sim: Simulator, folder: Path, *, extra: str, top: str = "", render: bool = False,
         **inventory: Any) -> tuple[Any, dict[str, str], Any]:
    inv_path, env = write_inventory(sim.info(), folder, nsb="api", extra=extra, **inventory)
    inv_path.write_text(top + inv_path.read_text())
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        inv = config.load(inv_path)
        outcome = run_async(runapp.run(inv, Options(), redactor=Redactor(), render=render))
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return outcome, env, inv


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capture.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: Any, receivers: Receivers) -> Iterator[dict[str, Any]]:
    """Three runs of one appliance into one history (pushed to a bare remote), its SNMP location changed after
    the first; the first signed and rendered, the third failing a download with a hanging failure hook."""
    simhelpers.require_tool("git")
    simhelpers.require_tool("ssh-keygen")
    root = tmp_path_factory.mktemp("evidence")
    key = root / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "auditor", "-f", str(key)], check=True)
    remote = root / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo, hooks = root / "history", root / "hooks"
    hooks.mkdir()
    sim = Simulator(SimOptions(version="25.1", nsb_size=64 * 1024)).start()
    name = sim.info()["appliances"][0]["name"]
    history = f'\n[history]\ngit = "{repo}"\nremote = "{remote}"\n'
    try:
        first, env, inv = _run(sim, root / "run1", render=True, top=f'sign = "{key}"\n', extra=history + (
            f'[hooks]\non_success = {_hook(hooks / "success", "; exit 3")}\ntimeout = 20\n'))
        sim._call(lambda: sim.rt.appliances[0].a["snmp"].update(location=NEW_LOCATION))
        inv_path, env2 = write_inventory(sim.info(), root / "run2", nsb="api", extra=history)
        second = _cli("run", "-i", str(inv_path), "--no-ocr", "--no-render", "--json", "-q", env=env2)
        sim.set_faults(Faults(truncate_nsb=True))
        inv_path, env3 = write_inventory(sim.info(), root / "run3", nsb="api", extra=history + (
            f'[hooks]\non_failure = {_hook(hooks / "failure", "; sleep 60")}\ntimeout = 3\n'
            f'notify = {json.dumps(receivers.urls)}\n'))
        third = _cli("run", "-i", str(inv_path), "--no-ocr", "--no-render", "--json", "-q",
                     "--sign", str(root / "no-such-key"), env=env3)
        yield {"sim": sim, "root": root, "repo": repo, "remote": remote, "key": key, "name": name, "first": first,
               "second": second, "third": third, "hooks": hooks, "env": {**env, **env2, **env3}, "inv": inv,
               "secrets": secrets_of(sim, {**env, **env2, **env3})}
    finally:
        sim.stop()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_three_runs_three_commits_and_the_log_shows_exactly_the_changed_setting(runs: dict[str, Any]) -> None:
    repo, name = runs["repo"], runs["name"]
    assert runs["first"].exit_code == 0, runs["first"].problems
    assert json.loads(runs["second"].stdout)["exit_code"] == 0, runs["second"].stderr
    subjects = _git(repo, "log", "--format=%s").splitlines()
    assert len(subjects) == 3, subjects
    serial = runs["sim"].info()["appliances"][0]["serial_number"]
    assert all(s.startswith(f"{name}: ") and f"serial {serial}" in s for s in subjects), subjects
    assert subjects[0].endswith("problem(s)") and subjects[1].endswith(": complete"), subjects
    changed = [ln for ln in _git(repo, "log", "-p", "--format=", "HEAD~2..HEAD").splitlines()
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert sorted(changed) == sorted([f"-snmp.location = DC1 Ashburn, Row A Rack 12 U20",
                                      f"+snmp.location = {NEW_LOCATION}"]), changed
    files = _git(repo, "ls-files").splitlines()
    assert f"{name}/snmp.txt" in files and all(f.endswith(".txt") for f in files), files
    text = (repo / name / "identity.txt").read_text() + (repo / name / "login" / "failover.txt").read_text()
    assert "uptime" not in text and "system_time" not in text and "last_sync" not in text
    assert "snmp.communities[1] = set" in (repo / name / "snmp.txt").read_text()
    # Pushed after every run: the bare remote holds the same three commits.
    assert _git(runs["remote"], "rev-parse", "main") == _git(repo, "rev-parse", "HEAD")


def test_history_command_and_binder_link(runs: dict[str, Any]) -> None:
    name, repo = runs["name"], runs["repo"]
    out = _cli("history", name, "--history", str(repo), env={})
    assert out.returncode == 0, out.stderr
    assert f"snmp.location: DC1 Ashburn, Row A Rack 12 U20 → {NEW_LOCATION}" in out.stdout
    assert out.stdout.count("no setting changed") == 1 and "first capture:" in out.stdout
    as_json = json.loads(_cli("history", name, "--history", str(repo), "--json", env={}).stdout)
    assert [list(c["changed"]) for c in as_json[1:]] == [["snmp.location"], []]
    index = (runs["root"] / "run1" / "out" / "index.html").read_text()
    assert f'href="history/{name}.txt"' in index
    assert (runs["root"] / "run1" / "out" / "history" / f"{name}.txt").is_file()
    bad = _cli("history", name, "--history", str(runs["root"] / "nowhere"), env={})
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_no_secret_in_the_history_repository_packs_included(runs: dict[str, Any]) -> None:
    repo = runs["repo"]
    _git(repo, "gc", "-q", "--aggressive")
    assert list((repo / ".git" / "objects" / "pack").glob("*.pack")), "git gc made no pack"
    objects = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"],
                             capture_output=True, check=True).stdout
    everything = objects + b"".join(p.read_bytes() for p in repo.rglob("*") if p.is_file())
    text = everything.decode(errors="replace")
    assert len(objects) > 10_000
    leaks = [s[:6] for s in runs["secrets"] if s.encode() in everything]
    assert not leaks and not CANARY.search(text), leaks


def test_hooks_fire_with_the_run_payload_and_never_change_the_outcome(runs: dict[str, Any],
                                                                      receivers: Receivers) -> None:
    hooks, name = runs["hooks"], runs["name"]
    # on_success exited 3: recorded, and run 1 still exits 0.
    success = json.loads((hooks / "success.json").read_text())
    assert success["exit_code"] == 0 and success["appliances"][0]["name"] == name
    env = (hooks / "success.env").read_text()
    assert "BTC_EVENT=success" in env and f"BTC_APPLIANCES={name}" in env and "BTC_HISTORY=" in env
    recorded = runs["first"].evidence["hooks"]
    assert recorded[0]["ok"] is False and "exit 3" in recorded[0]["error"]
    # Run 3 failed a download: on_failure got the failure, hung, was stopped at its timeout; exit code stays 1.
    third = json.loads(runs["third"].stdout)
    assert third["exit_code"] == 1
    failure = json.loads((hooks / "failure.json").read_text())
    assert failure["exit_code"] == 1 and failure["appliances"][0]["problems"], failure
    assert "BTC_EVENT=failure" in (hooks / "failure.env").read_text()
    # The inventory's secret variables are not handed to hooks (a hook that logs its environment leaks nothing).
    seen = (hooks / "failure.env").read_text() + env + json.dumps(failure) + json.dumps(success)
    assert not [s[:6] for s in runs["secrets"] if s in seen]
    hook = next(h for h in third["hooks"] if h["command"] == "sh")
    assert hook["ok"] is False and "timed out after 3 s" in hook["error"]
    # The notification reached the real SMTP server and the HTTP receiver, naming the problem.
    assert receivers.mail and receivers.mail[-1][0] == ["ops@example.test"]
    assert "bt-capture: the run ended with exit code 1" in receivers.mail[-1][1]
    path, body = receivers.posts[-1]
    assert path == "/bt-hook" and name in body["message"] and "exit code 1" in body["title"]
    assert not any(s in json.dumps(receivers.posts) + str(receivers.mail) for s in runs["secrets"])


def test_a_missing_signing_key_is_one_clear_line_and_exit_1(runs: dict[str, Any]) -> None:
    third = runs["third"]
    lines = [ln for ln in third.stderr.splitlines() if "no-such-key" in ln]
    assert len(lines) == 1 and "not signed" in lines[0] and "Traceback" not in third.stderr, third.stderr
    data = json.loads(third.stdout)
    assert data["appliances"][0]["folder"] and any("no-such-key" in p for p in data["run_problems"])


def test_unusable_history_and_failed_push_still_capture_and_exit_1(runs: dict[str, Any], tmp_path: Path) -> None:
    first = runs["first"]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for history, want in ((f'git = "{blocker / "repo"}"', "cannot create the folder"),
                          (f'git = "{tmp_path / "h2"}"\nremote = "{tmp_path / "missing.git"}"', "push failed")):
        inv = config.parse({"output": str(tmp_path / "out"), "history": _toml(history),
                            "appliance": [{"name": "x", "url": "https://x.test"}]})
        outcome = runapp.RunOutcome(first.results, diffs=[])
        evidence.before_render(inv, outcome)
        assert outcome.exit_code == 1 and len(outcome.problems) == 1 and want in outcome.problems[0], outcome.problems
        assert "\n" not in outcome.problems[0]


def _toml(text: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(text)


def test_signed_snapshot_verifies_with_ssh_keygen_and_verify_names_tampering(runs: dict[str, Any],
                                                                              tmp_path: Path) -> None:
    import shutil

    folder = runs["first"].results[0].folder
    assert (folder / "SHA256SUMS.sig").is_file()
    pub = (runs["key"].with_suffix(".pub")).read_text().split()
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"bt-capture {pub[0]} {pub[1]}\n")
    # The standard tool, as the README gives it.
    with open(folder / "SHA256SUMS", "rb") as sums:
        std = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "bt-capture", "-n",
                              "bt-capture-snapshot", "-s", str(folder / "SHA256SUMS.sig")], stdin=sums,
                             capture_output=True, text=True)
    assert std.returncode == 0 and "Good" in std.stdout + std.stderr, std.stderr
    assert subprocess.run(["sha256sum", "-c", "--strict", "--quiet", "SHA256SUMS"], cwd=folder).returncode == 0
    ok = _cli("verify", str(folder), "--signers", str(allowed), env={})
    assert ok.returncode == 0 and "valid, by an allowed signer" in ok.stdout, ok.stdout + ok.stderr
    # The dossier's cover names the key and the list's hash.
    fp = subprocess.run(["ssh-keygen", "-l", "-f", str(runs["key"].with_suffix(".pub"))], capture_output=True,
                        text=True, check=True).stdout.split()[1]
    import hashlib

    cover = (folder / "dossier.html").read_text()
    assert fp in cover and hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest() in cover
    # Tampered, missing, added: each named, exit 1.
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["appliance_hostname"] = "evil.example.test"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    shot = next((copy / "pages").iterdir())
    shot.unlink()
    (copy / "pages" / "extra.png").write_bytes(b"\x89PNG")
    bad = _cli("verify", str(copy), "--signers", str(allowed), env={})
    assert bad.returncode == 1
    assert "signed file manifest.json: altered since it was signed" in bad.stdout
    assert f"signed file pages/{shot.name}: missing" in bad.stdout
    assert "signed file pages/extra.png: added after signing" in bad.stdout
    # A list re-written to match the tampering no longer matches its signature.
    (copy / "SHA256SUMS").write_text((copy / "SHA256SUMS").read_text().replace("manifest", "manifesto"))
    assert "does not verify" in _cli("verify", str(copy), "--signers", str(allowed), env={}).stdout


def test_on_drift_fires_for_peers_that_differ_in_a_must_match_setting(tmp_path: Path, receivers: Receivers) -> None:
    sim = Simulator(SimOptions(pair=True, drift=True, nsb_size=64 * 1024)).start()
    try:
        posts = len(receivers.posts)
        outcome, env, _ = _run(sim, tmp_path, certificate=False, vault_key=False, extra=(
            f'\n[hooks]\non_drift = {_hook(tmp_path / "drift")}\ntimeout = 20\n'
            f'notify = {json.dumps(receivers.urls[1:])}\nnotify_on = ["drift"]\n'))
    finally:
        sim.stop()
    assert outcome.exit_code == 1 and outcome.diffs and outcome.diffs[0]["must_match"]
    payload = json.loads((tmp_path / "drift.json").read_text())
    assert payload["drift"] and "bt1 ↔ bt2" in payload["drift"][0]["why"], payload["drift"]
    assert payload["diffs"][0]["must_match"] == outcome.diffs[0]["must_match"]
    hook_env = (tmp_path / "drift.env").read_text()
    assert "BTC_EVENT=drift" in hook_env and "BTC_DRIFT=bt1:bt2" in hook_env
    assert [h["event"] for h in outcome.evidence["hooks"]] == ["drift", "drift"]
    assert all(h["ok"] for h in outcome.evidence["hooks"]), outcome.evidence["hooks"]
    path, body = receivers.posts[posts]
    assert body["title"] == "bt-capture: settings drift" and "bt1 ↔ bt2" in body["message"]
