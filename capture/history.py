"""The settings history in git (the git CLI): one commit per appliance per run, an optional push, the timeline."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from capture.atomic import write_atomic
from capture.errors import ConfigError

IDENT = ["-c", "user.name=bt-capture", "-c", "user.email=bt-capture@localhost", "-c", "commit.gpgsign=false",
         "-c", "core.quotepath=off"]
TRAILER = "Appliance"
_CREDS = re.compile(r"(//)[^/@\s]+@")  # user:token@ in a remote URL: never shown


class HistoryError(ConfigError):
    """The history repository cannot be used (a folder that cannot be written, git missing, a failed push)."""


def _scrub(text: str) -> str:
    return _CREDS.sub(r"\1…@", " ".join(text.split()))


def git(repo: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> str:
    exe = shutil.which("git")
    if exe is None:
        raise HistoryError("git is not installed (apt-get install git): no settings history")
    base = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
    done = subprocess.run([exe, "-C", str(repo), *IDENT, *args], capture_output=True, text=True, env=base,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL, timeout=300)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise HistoryError(f"history {repo}: git {args[0]} failed: {_scrub(why)}")
    return done.stdout


def open_repo(path: Path) -> Path:
    """The repository at path, created (mode 0700) when missing; one clear HistoryError when it cannot be used."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise HistoryError(f"history {path}: cannot create the folder: {e.strerror or e}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise HistoryError(f"history {path}: the folder cannot be written")
    if not (path / ".git").exists():
        if any(path.iterdir()):
            raise HistoryError(f"history {path}: the folder holds other files and is not a git repository")
        git(path, "init", "-q", "-b", "main")
    return path


@contextmanager
def locked(repo: Path) -> Iterator[None]:
    """Shards of one fleet may share a history: one writer at a time."""
    with open(repo / ".git" / "bt-capture.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def message(info: dict[str, Any]) -> str:
    """The commit message: the appliance, its version and serial, and the outcome (then the details)."""
    head = f"{info['name']}: {info['version'] or 'version unknown'}, serial {info['serial'] or 'unknown'}: " \
           f"{info['outcome']}"
    body = [f"site: {info['site']}", f"snapshot: {info['snapshot']}", *(f"problem: {p}" for p in info["problems"])]
    return "\n".join([head, "", *body, "", f"{TRAILER}: {info['name']}"]) + "\n"


def record(repo: Path, name: str, files: dict[str, str], info: dict[str, Any]) -> str:
    """Replace the appliance's folder with files and commit (also when nothing changed: the run is on the
    timeline, with an empty diff). Returns the commit id."""
    folder = repo / name
    with locked(repo):
        if folder.exists():
            for old in folder.rglob("*"):
                if old.is_file() and old.relative_to(folder).as_posix() not in files:
                    old.unlink()
        for rel, text in files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(target, text)
        git(repo, "add", "-A", "--", name)
        when = info.get("captured")
        env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else None
        git(repo, "commit", "-q", "--allow-empty", "-F", "-", env=env, input=message(info))
        return git(repo, "rev-parse", "HEAD").strip()


def push(repo: Path, remote: str, branch: str, username: str | None, token: str | None) -> None:
    """Push the history; a token goes to git through GIT_ASKPASS from the environment, never argv or a file."""
    env: dict[str, str] = {}
    tmp = None
    if token:
        tmp = Path(tempfile.mkdtemp(prefix="bt-askpass-"))
        script = tmp / "askpass"
        script.write_text('#!/bin/sh\ncase "$1" in Username*) printf "%s\\n" "$BTC_GIT_USER";; '
                          '*) printf "%s\\n" "$BTC_GIT_TOKEN";; esac\n')
        script.chmod(0o700)
        env = {"GIT_ASKPASS": str(script), "BTC_GIT_USER": username or "bt-capture", "BTC_GIT_TOKEN": token}
    try:
        with locked(repo):
            git(repo, "push", "-q", remote, f"HEAD:refs/heads/{branch}", env=env)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Change:
    commit: str
    date: str
    subject: str
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # path → (before, after)


def _field(line: str) -> tuple[str, str]:
    path, _, value = line.partition(" =")
    return path, value.strip()


def timeline(repo: Path, name: str) -> list[Change]:
    """Every run of one appliance, oldest first, with the fields each changed."""
    if not (Path(repo) / ".git").exists():
        raise HistoryError(f"history {repo}: not a bt-capture history (no git repository there)")
    out = git(repo, "log", "--reverse", "--no-color", "-U0", "-p", "--format=%x00%H%x00%aI%x00%s",
              f"--grep=^{TRAILER}: {name.replace('.', chr(92) + '.')}$")
    changes: list[Change] = []
    parts = out.split("\x00")[1:]
    for i in range(0, len(parts) - 2, 3):
        commit, date, rest = parts[i], parts[i + 1], parts[i + 2]
        subject, _, patch = rest.partition("\n")
        ch = Change(commit, date, subject)
        before: dict[str, str] = {}
        after: dict[str, str] = {}
        for line in patch.splitlines():
            if line.startswith(("---", "+++")) or not line[:1] in "+-" or not line[1:].strip():
                continue
            path, value = _field(line[1:])
            (before if line[0] == "-" else after)[path] = value
        for path in dict.fromkeys([*before, *after]):
            if before.get(path) != after.get(path):
                ch.fields[path] = (before.get(path), after.get(path))
        changes.append(ch)
    return changes


def write_timeline(output_root: Path, repo: Path, name: str) -> Path:
    """<output>/history/<name>.txt: the timeline as `bt-capture history NAME` prints it (the binder links it)."""
    folder = Path(output_root) / "history"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return write_atomic(folder / f"{name}.txt", render_timeline(repo, name, timeline(repo, name)))


def render_timeline(repo: Path, name: str, changes: list[Change]) -> str:
    lines = [f"Settings history of {name} (git repository {repo}; `git -C {repo} log -p -- {name}/`)", ""]
    for ch in changes:
        lines.append(f"{ch.date}  {ch.commit[:10]}  {ch.subject}")
        if not ch.fields:
            lines.append("    no setting changed")
        elif ch is changes[0]:
            lines.append(f"    first capture: {len(ch.fields)} settings")
            continue
        for path, (a, b) in ch.fields.items():
            lines.append(f"    {path}: {'(none)' if a is None else a or '(empty)'} → "
                         f"{'(none)' if b is None else b or '(empty)'}")
    return "\n".join(lines) + "\n"
