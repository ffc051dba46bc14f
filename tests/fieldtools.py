"""Field recordings for the tests: make them from the simulator (live capture + record), replay them, compare."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from capture import app as runapp, config, replay
from capture.recording_index import recordings, size
from capture.redact import Redactor
from capture.runner import Options
from fixtures.inventory import write_inventory

FIELD = Path(__file__).parent / "field"
EXPECTED = "expected.json"
# What differs between two captures of the same pages by design: where values stand (boxes), when, and the
# address (a simulator's port changes on every start).
VOLATILE = {"box", "boxes", "captured_at", "screenshot", "screenshot_sha256", "attempts", "url", "ocr"}


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        if str((obj.get("src") or {}).get("flow", "")).startswith(("artifacts.", "tls.")):
            return None  # read from a downloaded file or the TLS handshake: never in a recording
        out = {k: _strip(v) for k, v in obj.items() if k not in VOLATILE}
        return {k: v for k, v in out.items() if v not in (None, {})}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def records(snap: Any) -> dict[str, Any]:
    """The records a replay must reproduce: every page's status and sections, and the settings model (without
    what only the downloaded files say)."""
    data = json.loads(snap.model_dump_json()) if not isinstance(snap, dict) else snap
    settings = _strip(data.get("settings") or {})
    certs = (settings or {}).get("certificates") or {}
    if isinstance(certs, dict):
        certs.pop("exported", None)  # the .p12's own reading: a file, never recorded
        if isinstance(certs.get("site"), dict):
            certs["site"].pop("decided_by", None)  # by the export when there was one; a replay has the page only
    return {"pages": {p["flow"]: _strip({k: p[k] for k in ("status", "title", "menu_path", "page_title", "sections",
                                                             "error")}) for p in data["pages"]},
            "settings": settings}


def differences(want: dict[str, Any], got: dict[str, Any], where: str = "") -> list[str]:
    """Paths where two record trees differ (first 20)."""
    out: list[str] = []
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            out += differences(want.get(k), got.get(k), f"{where}/{k}")
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            out += differences(a, b, f"{where}[{i}]")
    elif want != got:
        out.append(f"{where}: {json.dumps(want)[:120]} != {json.dumps(got)[:120]}")
    return out[:20]


def record_live(sim: Any, folder: Path, *, sanitize: bool = True, screenshots: bool = False,
                **inventory: Any) -> tuple[Any, dict[str, str]]:
    """Capture every appliance of a running simulator with --record into folder/rec; (outcome, secret env)."""
    from captools import run_async

    inv_path, env = write_inventory(sim.info(), folder, **inventory)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        inv = config.load(inv_path)
        opts = Options(record=folder / "rec", record_screenshots=screenshots, record_sanitize=sanitize)
        outcome = run_async(runapp.run(inv, opts, redactor=Redactor(), render=False))
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return outcome, env


def replay_records(root: Path, out: Path, *, labels: Path | None = None) -> dict[str, dict[str, Any]]:
    """Replay a recording (or a folder of them) offline; {appliance: records}."""
    from captools import run_async

    outcome = run_async(replay.replay(root, out, Options(), redactor=Redactor(), labels=labels, render=False))
    return {r.name: records(r.snapshot) for r in outcome.results if r.snapshot is not None}


def make(name: str, sim_options: Any, **inventory: Any) -> dict[str, int]:
    """(Re)make tests/field/<name>: record the simulator live, keep the live records as expected, and check
    at once that the replay gives them back. Returns the size of each appliance's recording."""
    import shutil

    from fixtures import Simulator

    dest = FIELD / name
    with tempfile.TemporaryDirectory() as tmp, Simulator(sim_options) as sim:
        outcome, _ = record_live(sim, Path(tmp), **inventory)
        live = {r.name: records(r.snapshot) for r in outcome.results}
        bad = [r.name for r in outcome.results if r.snapshot is None or any(
            p.status != "ok" for p in r.snapshot.pages)]
        if bad:
            raise RuntimeError(f"{name}: the live capture failed pages on {bad}; not a usable field recording")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(Path(tmp) / "rec", dest)
    got = replay_records(dest, Path(tempfile.mkdtemp()) / "out")
    diffs = {a: differences(live[a], got.get(a, {})) for a in live}
    if any(diffs.values()):
        raise RuntimeError(f"{name}: the replay differs from the live capture: {diffs}")
    (dest / EXPECTED).write_text(json.dumps(live, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return {f.name: size(f) for f in recordings(dest)}


def cases() -> list[Path]:
    """Every checked-in field recording: a folder under tests/field with its expected records."""
    return sorted(p.parent for p in FIELD.glob(f"*/{EXPECTED}"))
