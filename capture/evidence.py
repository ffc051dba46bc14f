"""Evidence over time, around a run's reports: signatures and the git history before rendering, hooks after."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from capture import history, hooks, sign, sources
from capture.errors import CaptureError

log = logging.getLogger("bt-capture")


def _problem(outcome: Any, text: str) -> None:
    """Something the run was asked to do failed: one clear line; the run goes on and exits 1."""
    log.error("%s", text)
    outcome.problems.append(text)


def before_render(inv: Any, outcome: Any) -> None:
    """Sign each new snapshot, then commit its settings to the history (both before the dossiers, whose covers
    and binder show them); find drift. Each failure is named and the rest still done."""
    outcome.evidence = ev = {"output": str(inv.output), "signatures": {}, "history": {}, "drift": [], "hooks": []}
    done = [r for r in outcome.results if r.folder and r.snapshot]
    if inv.sign:
        for r in done:
            try:
                ev["signatures"][r.name] = sign.sign(r.folder, inv.sign)
            except CaptureError as e:
                _problem(outcome, f"{r.name}: not signed: {e}")
    if inv.history.git:
        _history(inv, outcome, done, ev["history"])
    ev["drift"] = drift(outcome, done)


def _history(inv: Any, outcome: Any, done: list[Any], out: dict[str, Any]) -> None:
    from reports import history_text

    cfg = inv.history
    try:
        repo = history.open_repo(cfg.git)
    except CaptureError as e:
        _problem(outcome, f"{e} (the snapshots were captured; no history commit made)")
        return
    out.update(repository=str(repo), commits={})
    for r in sorted(done, key=lambda r: r.name):
        try:
            files = history_text.render(r.snapshot)
            out["commits"][r.name] = history.record(repo, r.name, files, history_text.summary(r.snapshot))
            history.write_timeline(inv.output, repo, r.name)
        except (CaptureError, OSError) as e:
            _problem(outcome, f"{r.name}: no history commit: {e}")
    if cfg.remote and out["commits"]:
        try:
            token = sources.read(cfg.token, "history push token") if cfg.token else None
            history.push(repo, cfg.remote, cfg.branch, cfg.username, token)
            out["pushed"] = cfg.remote if "://" not in cfg.remote else history._scrub(cfg.remote)
        except CaptureError as e:
            _problem(outcome, f"history push failed: {e}")


def drift(outcome: Any, done: list[Any]) -> list[dict[str, Any]]:
    """Peers that differ in a must-match setting, and appliances an upgrade left without a setting they had."""
    out = [{"a": d.get("a"), "b": d.get("b"), "why": f"{d.get('a')} ↔ {d.get('b')}: {d.get('verdict')}"}
           for d in outcome.diffs if d.get("must_match")]
    from reports import diff as rdiff

    for r in done:
        prev = previous(r.folder, r.name)
        if prev is None:
            continue
        try:
            result, _, _ = rdiff.compare_folders(prev, r.folder, mode="auto")
        except Exception as e:  # an unreadable earlier snapshot: no upgrade check, the run goes on
            log.warning("%s: no upgrade check against %s: %s", r.name, prev.name, e)
            continue
        if result.mode == "upgrade" and result.must_match:
            paths = ", ".join(d.path for d in result.must_match[:5])
            out.append({"a": r.name, "why": f"{r.name}: the upgrade since {prev.name} dropped or changed "
                                            f"{len(result.must_match)} must-match setting(s): {paths}"})
    return out


def previous(folder: Path, name: str) -> Path | None:
    """The newest earlier complete snapshot of the same appliance beside this one."""
    best: tuple[str, Path] | None = None
    prefix = Path(folder).name.split("_")[0] + "_"  # the appliance's hostname: other appliances are not read
    for sib in Path(folder).parent.iterdir():
        if sib == folder or not sib.name.startswith(prefix) or not (sib / "manifest.json").is_file():
            continue
        try:
            meta = json.loads((sib / "manifest.json").read_bytes())
        except (OSError, ValueError):
            continue
        started = str(meta.get("started_at") or "")
        if meta.get("label") == name and started and (best is None or started > best[0]):
            best = (started, sib)
    return best[1] if best else None


def after_render(inv: Any, outcome: Any) -> None:
    """The hooks and notifications, with the run's JSON; their failures are recorded, never the run's outcome."""
    cfg = inv.hooks
    if not (cfg.on_success or cfg.on_failure or cfg.on_drift or cfg.notify):
        return
    from capture.summary import payload

    outcome.evidence["hooks"] = hooks.fire(cfg, payload(outcome), hooks.secret_variables(inv))
