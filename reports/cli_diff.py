"""`bt-capture diff A B`: compare two snapshot folders offline; exit 0 consistent, 1 differences or gaps, 2 bad input."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from capture.commands import guarded


@click.command("diff")
@click.argument("a", type=click.Path(file_okay=False, path_type=Path))
@click.argument("b", type=click.Path(file_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["auto", "peers", "upgrade"]), default="auto", show_default=True,
              help="peers: two failover peers; upgrade: one appliance at two times (auto: same hostname or serial).")
@click.option("--rules", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML rules file that extends or overrides the diff classes per flow and label pattern.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Where the diff_A__B folder goes (default: beside snapshot A).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("--no-visual", is_flag=True, help="Skip the screenshot comparison.")
@click.option("--no-pdf", is_flag=True, help="Write diff.html and diff.json only.")
@guarded
def diff_cmd(a: Path, b: Path, mode: str, rules: Path | None, output: Path | None, as_json: bool, no_visual: bool,
             no_pdf: bool) -> None:
    """Compare two snapshots: failover peers, or the same appliance before and after an upgrade.

    \b
    Every page is compared field by field (tables row by row); each difference is
    must match, expected to differ, or volatile (ignored). Writes diff.json, diff.html,
    diff.pdf and screenshot overlays into OUTPUT/diff_A__B/.
    \b
    Exit codes: 0 every page compared and nothing that must match differs; 1 something
    does, or a page or step is missing on either side (named in the verdict); 2 bad input.
    """
    from flows.diffrules import DiffRules
    from reports import diff as rdiff
    from reports.diff_output import text_summary

    rule_set = DiffRules.load(rules)
    for folder in (a, b):
        rdiff.load_snapshot(folder)  # one clear line for a bad folder before any work
    result, summary = rdiff.run_diff(a, b, output or a.resolve().parent, mode=mode, rules=rule_set,
                                     visual=not no_visual, pdf=not no_pdf)
    click.echo(rdiff.dumps(summary) if as_json else text_summary(result, summary))
    sys.exit(1 if summary["must_match"] or not summary["comparable"] else 0)
