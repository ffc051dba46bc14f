"""`bt-capture history NAME`: the timeline of one appliance's settings, from the git history a run keeps."""
from __future__ import annotations

import json
from pathlib import Path

import click

from capture.commands import guarded
from capture.errors import ConfigError


@click.command("history")
@click.argument("name")
@click.option("-i", "--inventory", type=click.Path(dir_okay=False), help="The inventory naming [history] git=.")
@click.option("--history", "history_dir", type=click.Path(file_okay=False), help="The history repository.")
@click.option("-p", "--patch", is_flag=True, help="Show the full `git log -p` of the appliance's folder.")
@click.option("--json", "as_json", is_flag=True)
@guarded
def history_cmd(name: str, inventory: str | None, history_dir: str | None, patch: bool, as_json: bool) -> None:
    """When each run of NAME was, its outcome, and which settings changed (value before → after).

    \b
    Examples:
      bt-capture history bt1 -i sites.toml
      bt-capture history bt1 --history /srv/bt-history --patch
    """
    from capture import history

    repo = Path(history_dir) if history_dir else None
    if repo is None and inventory:
        from capture import config

        repo = config.load(inventory).history.git
    if repo is None:
        raise ConfigError("history: give --history DIR, or -i INVENTORY with [history] git = …")
    changes = history.timeline(repo, name)
    if not changes:
        raise ConfigError(f"history {repo}: no run of {name} recorded")
    if patch:
        click.echo(history.git(repo, "log", "--no-color", "-p", "--", f"{name}/"), nl=False)
    elif as_json:
        click.echo(json.dumps([{"commit": c.commit, "date": c.date, "subject": c.subject,
                                "changed": {p: {"before": a, "after": b} for p, (a, b) in c.fields.items()}}
                               for c in changes], indent=2))
    else:
        click.echo(history.render_timeline(repo, name, changes), nl=False)
