"""A recording's files on disk: its index (tool version, file hashes), writing it, and checking it."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from capture import __version__
from capture.atomic import write_atomic
from capture.errors import ConfigError

FORMAT = "bt-capture recording"
FORMAT_VERSION = 1
INDEX = "index.json"


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, ensure_ascii=False).encode()


def write(folder: Path, appliance: dict[str, Any], files: dict[str, bytes], exchanges: list[dict[str, Any]],
          visits: list[dict[str, Any]], report: list[dict[str, Any]], *, sanitized: bool = True) -> Path:
    """Replace folder with a new recording: every file 0600 in 0700 folders, the index written last."""
    files = dict(files)
    files["exchanges.json"] = _dump(exchanges)
    files["pages.json"] = _dump(visits)
    files["sanitization.json"] = _dump({
        "sanitized": sanitized,
        "note": "what was removed or replaced, where and why; never the value itself",
        "removed": report})
    # Written beside, then renamed into place: a reader never sees half a recording.
    if not folder.parent.exists():
        folder.parent.mkdir(parents=True, mode=0o700)  # the --record folder itself is as private as its recordings
    tmp = folder.with_name(f".{folder.name}.part")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True, mode=0o700)
    for rel, data in sorted(files.items()):
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, data)
    idx = {"format": FORMAT, "format_version": FORMAT_VERSION, "tool": "bt-capture", "tool_version": __version__,
           "appliance": appliance, "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}}
    write_atomic(tmp / INDEX, _dump(idx))
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def _version(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in v.split(".")[:3])
    except ValueError:
        return (10**6,)  # not a version this tool ever wrote


def load(folder: Path) -> dict[str, Any]:
    """The index of a recording whose files all match it; ConfigError (one line, exit 2) otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such recording folder")
    try:
        idx = json.loads((folder / INDEX).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{folder}: not a recording (no {INDEX})") from None
    except (OSError, ValueError) as e:
        raise ConfigError(f"{folder}/{INDEX}: cannot be read: {e}") from None
    if not isinstance(idx, dict) or idx.get("format") != FORMAT:
        raise ConfigError(f"{folder}: not a bt-capture recording")
    if idx.get("format_version") != FORMAT_VERSION or _version(str(idx.get("tool_version"))) > _version(__version__):
        raise ConfigError(f"{folder}: recorded by bt-capture {idx.get('tool_version')} (recording format "
                          f"{idx.get('format_version')}); this bt-capture {__version__} reads format {FORMAT_VERSION}")
    listed = idx.get("files") or {}
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {INDEX}
    problems = [f"{rel} is missing" for rel in sorted(set(listed) - present)]
    problems += [f"{rel} is not in the index" for rel in sorted(present - set(listed))]
    problems += [f"{rel} was changed" for rel in sorted(set(listed) & present)
                 if hashlib.sha256((folder / rel).read_bytes()).hexdigest() != listed[rel]]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{folder}: the recording does not match its index: {problems[0]}{more}")
    return idx


def read_json(folder: Path, rel: str) -> Any:
    return json.loads((Path(folder) / rel).read_text())


def recordings(root: Path) -> list[Path]:
    """root itself when it is a recording, else its sub-folders that are (one per appliance)."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root}: no such recording folder")
    if (root / INDEX).exists():
        return [root]
    found = sorted(p.parent for p in root.glob(f"*/{INDEX}"))
    if not found:
        raise ConfigError(f"{root}: not a recording (no {INDEX} in it or in its sub-folders)")
    return found


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
