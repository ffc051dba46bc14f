"""What a run prints when it ends (or, with --dry-run, what it would capture): plain lines or one JSON object."""
from __future__ import annotations

import json
from typing import Any

import click


def plan(names: list[str], gaps: list[dict[str, str]], shard: Any, as_json: bool) -> None:
    """--dry-run: the appliances this run would capture and the peer diffs it could not make."""
    where = shard and {"index": shard.index, "total": shard.total, "source": shard.source}
    if as_json:
        click.echo(json.dumps({"appliances": names, "peer_diffs_not_made": gaps, "shard": where}, indent=2))
        return
    if shard is not None:
        click.echo(f"shard {shard} (from {shard.source}): {len(names)} appliance(s)")
    for n in names:
        click.echo(n)
    for g in gaps:
        click.echo(f"diff {g['a']} ↔ {g['b']}: NOT MADE: {g['reason']}")


def payload(outcome: Any, shard: Any = None) -> dict[str, Any]:
    """The run as one JSON-able object: what --json prints and what hooks read on stdin."""
    rows = []
    for r in outcome.results:
        snap = r.snapshot
        problems = [f"{f.step}: {f.error}" for f in snap.failures] if snap else [r.error or "failed"]
        dossier = r.folder / "dossier.html" if r.folder and (r.folder / "dossier.html").exists() else None
        rows.append({"name": r.name, "exit_code": r.exit_code, "folder": str(r.folder) if r.folder else None,
                     "dossier": str(dossier) if dossier else None,
                     "status": "complete" if r.exit_code == 0 else f"{len(problems)} problem(s)",
                     "problems": problems, "warnings": snap.warnings if snap else []})
    ev = getattr(outcome, "evidence", {}) or {}
    return {"exit_code": outcome.exit_code, "appliances": rows, "diffs": outcome.diffs,
            "peer_diffs_not_made": outcome.not_compared,
            "shard": shard and {"index": shard.index, "total": shard.total, "source": shard.source},
            "binder": str(outcome.binder) if outcome.binder else None,
            "output": str(ev.get("output") or ""), "run_problems": list(getattr(outcome, "problems", [])),
            "history": ev.get("history") or {}, "signatures": ev.get("signatures") or {},
            "drift": ev.get("drift") or [], "hooks": ev.get("hooks") or []}


def report(outcome: Any, as_json: bool, shard: Any = None) -> None:
    data = payload(outcome, shard)
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    rows = data["appliances"]
    for row in rows:
        click.echo(f"{row['name']:<14} {row['status']:<14} {row['dossier'] or row['folder'] or ''}")
        for p in row["problems"]:
            click.echo(f"  ✗ {p}")
        for w in row["warnings"]:
            click.echo(f"  ! {w}")
    for d in outcome.diffs:
        click.echo(f"diff {d.get('a')} ↔ {d.get('b')}: {d.get('verdict')}  {d.get('html') or ''}")
    for g in outcome.not_compared:
        click.echo(f"diff {g['a']} ↔ {g['b']}: NOT MADE: {g['reason']}")
    if shard is not None:
        click.echo(f"shard {shard} (from {shard.source}): {len(rows)} appliance(s)")
    for h in data["hooks"]:
        if not h["ok"]:
            click.echo(f"hook {h['event']} ({h['command']}): FAILED: {h.get('error')} (the outcome is unchanged)")
    if data["history"].get("repository"):
        click.echo(f"history: {data['history']['repository']} ({len(data['history'].get('commits', {}))} commit(s))")
    for p in data["run_problems"]:
        click.echo(f"✗ {p}")
    if outcome.binder:
        click.echo(f"binder: {outcome.binder}")
